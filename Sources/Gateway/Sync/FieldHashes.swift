import Adapters
import Foundation
import PrimesModel

/// A hash per top-level canonical field of a record (`name`, `contacts`, `specificNeeds`, …): what a
/// source's cursor remembers of a subject, so that the next pull can name the fields that changed, and what
/// a delivery records of the fields it wrote into a system, so that the loop guard knows them when they come
/// back.
///
/// Left out: the record's bookkeeping (`recordType`, `provenance`, `updatedAt`, `version`), which every
/// system stamps its own way, and `extensions`, which hold what a system keeps beyond the canonical model
/// (its own server fields, ids and leftovers) and are no decision of anyone's.
///
/// With a key (the store's, when payloads are encrypted), each hash is an HMAC of the field's name and value:
/// a plain hash of one field is no secret, since the few thousand birth dates or the two hundred countries a
/// value can be are quickly hashed and compared, and the stored hashes would tell what the encrypted payloads
/// hide.
enum FieldHashes {
    static let leftOut: Set<String> = ["recordType", "provenance", "updatedAt", "version", "extensions"]

    static func of(_ record: CanonicalRecord, key: [UInt8]?) -> [String: String] {
        guard let json = try? JSONValue(encoding: record) else { return [:] }
        return of(json, key: key)
    }

    static func of(_ json: JSONValue, key: [UInt8]?) -> [String: String] {
        guard case .object(let fields) = json else { return [:] }
        var hashes: [String: String] = [:]
        for (name, value) in fields where !leftOut.contains(name) {
            // Sixteen bytes are plenty to tell two values of one field apart.
            let digest =
                key.map { TokenHash.hmacSHA256(Array((name + "\n").utf8) + value.jsonBytes, key: $0) }
                ?? TokenHash.digest(of: value.jsonBytes, algorithm: .sha256)
            hashes[name] = String(lowerHex(digest).prefix(32))
        }
        return hashes
    }

    /// The stored form: a JSON object with sorted keys.
    static func text(_ hashes: [String: String]) -> String {
        String(decoding: JSONValue.object(hashes.mapValues(JSONValue.string)).jsonBytes, as: UTF8.self)
    }

    /// The stored form read back; nil for none, or for text that is not such an object.
    static func parse(_ text: String?) -> [String: String]? {
        guard let text, case .object(let fields)? = try? DataSharingAgreement.json(of: Array(text.utf8)) else {
            return nil
        }
        return fields.compactMapValues(\.scalarText)
    }
}

/// How a record's changed fields are stored with it: their names joined by commas (canonical field names
/// have none).
enum ChangedFields {
    static func column(_ fields: [String]?) -> String? {
        fields.map { $0.joined(separator: ",") }
    }

    static func list(_ column: String?) -> [String]? {
        column.map { $0.split(separator: ",").map(String.init) }
    }
}

/// What a source's cursor holds for one subject: the content and field hashes of its last pull, with the
/// fields the gateway wrote into the system since laid over them.
struct HeldSubject: Sendable, Equatable {
    /// The content hash of the last pull; nil when the gateway wrote the subject there before ever pulling it.
    var contentHash: String?
    var fieldHashes: [String: String]?
    /// When the gateway last wrote into the system after the last pull; nil when it has not.
    var writtenAt: Double?
}

/// What becomes of one pulled record.
enum PullDecision: Equatable {
    /// The same content as the last pull: nothing to send.
    case unchanged
    /// Every field that differs from the last pull is one the gateway itself wrote there since: its own
    /// write coming back (the loop guard).
    case echo
    /// News: the whole record (`changedFields` nil) or an update of the named fields (perhaps none).
    case enqueue(changedFields: [String]?)

    /// Decides for a pulled record with `contentHash` and `fieldHashes`, given what the cursor `held`.
    static func decide(contentHash: String, fieldHashes: [String: String]?, held: HeldSubject?) -> PullDecision {
        guard let held else { return .enqueue(changedFields: nil) }
        if held.contentHash == contentHash { return .unchanged }
        guard let fieldHashes, let before = held.fieldHashes else { return .enqueue(changedFields: nil) }
        // A field the system no longer shows is not a decision to erase it there: only new and changed
        // values count.
        let changed = fieldHashes.filter { before[$0.key] != $0.value }.keys.sorted()
        if !changed.isEmpty { return .enqueue(changedFields: changed) }
        // Nothing canonical changed: either the gateway's own write came back, or only extensions or
        // bookkeeping moved, an update with no changed field (a partial-update destination has nothing to
        // send; one taking whole records gets it).
        return held.writtenAt != nil ? .echo : .enqueue(changedFields: [])
    }
}
