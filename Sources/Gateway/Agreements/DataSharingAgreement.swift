import Adapters
import Foundation
import PrimesModel

/// The canonical fields one destination may receive, read from a YAML file; everything else is removed
/// before the record is converted for that destination (fail closed).
///
/// ```yaml
/// agreement: registry-births-2026
/// version: 3
/// purpose: birth registration follow-up
/// fields:
///   - id
///   - name.family
///   - identifiers[scheme=unhcr.progres.individual].value
/// ```
/// A path names a whole subtree (`name` allows every part of the name). `recordType` is always kept.
public struct DataSharingAgreement: Sendable, Equatable {
    public let name: String
    public let version: String
    public let purpose: String?
    public let fields: [FieldPath]
    /// The file it was read from, for messages.
    public let file: String

    public init(name: String, version: String, purpose: String? = nil, fields: [FieldPath], file: String = "") {
        self.name = name
        self.version = version
        self.purpose = purpose
        self.fields = fields
        self.file = file
    }

    /// Reads an agreement file; errors name the file, the line and the key.
    public static func load(path: String) throws(ConfigurationError) -> DataSharingAgreement {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError(file: path, line: 0, key: "", reason: "cannot read the agreement file")
        }
        let root: YAMLNode
        do {
            root = try YAMLNode.parse(text, name: path)
        } catch {
            throw ConfigurationError(file: path, line: 0, key: "", reason: error.description)
        }
        func fail(_ node: YAMLNode, _ key: String, _ reason: String) -> ConfigurationError {
            ConfigurationError(file: path, line: node.line, key: key, reason: reason)
        }
        guard let pairs = root.pairs else { throw fail(root, "", "an agreement is a mapping") }
        for pair in pairs where !["agreement", "version", "purpose", "fields"].contains(pair.key) {
            throw fail(pair.value, pair.key, "unknown key (known: agreement, version, purpose, fields)")
        }
        guard let name = root["agreement"]?.scalar, !name.isEmpty else {
            throw fail(root, "agreement", "required key is missing")
        }
        guard let items = root["fields"]?.items else { throw fail(root, "fields", "must be a list of field paths") }
        var fields: [FieldPath] = []
        for (index, item) in items.enumerated() {
            guard let text = item.scalar else { throw fail(item, "fields[\(index)]", "must be a field path") }
            do {
                fields.append(try FieldPath(text))
            } catch {
                throw fail(item, "fields[\(index)]", error.description)
            }
        }
        return DataSharingAgreement(
            name: name, version: root["version"]?.scalar ?? "1", purpose: root["purpose"]?.scalar, fields: fields,
            file: path)
    }

    /// The record with only the agreed fields. Throws when what remains is not a valid record (an agreement
    /// that keeps half of a structure the model requires whole).
    public func apply(to record: CanonicalRecord) throws -> CanonicalRecord {
        try apply(toJSON: try JSONValue(encoding: record))
    }

    /// The same, from a record's JSON form, as the outbox stores it: one decoding fewer per delivery.
    public func apply(toJSON full: JSONValue) throws -> CanonicalRecord {
        guard case .object(let object) = full, let recordType = object["recordType"] else {
            throw AgreementError.incompleteRecord(
                agreement: name, issue: FieldIssue(field: "recordType", rule: "required field is missing"))
        }
        var kept = JSONValue.object(["recordType": recordType])
        for field in fields {
            guard let value = field.value(in: full) else { continue }
            try field.set(value, in: &kept)
        }
        let decoded = kept.jsonBytes.withUnsafeBytes { raw in
            Result { () throws(JSONScanError) in try CanonicalJSONDecoding.decode(raw) }
        }
        switch decoded {
        case .success(let record): return record
        case .failure(let error):
            throw AgreementError.incompleteRecord(
                agreement: name, issue: FieldIssue(field: error.field, rule: error.rule))
        }
    }

    /// Parses a stored canonical record into its JSON form, with the canonical reader's scanner.
    public static func json(of payload: [UInt8]) throws(JSONScanError) -> JSONValue {
        let parsed = payload.withUnsafeBytes { raw in
            Result { () throws(JSONScanError) -> JSONValue in
                var scanner = JSONScanner(raw)
                let value = try scanner.readValue()
                try scanner.expectEnd()
                return value
            }
        }
        return try parsed.get()
    }
}

/// A record the agreement cuts into something the canonical model cannot hold.
public enum AgreementError: Error, Sendable, Equatable, CustomStringConvertible {
    case incompleteRecord(agreement: String, issue: FieldIssue)

    public var description: String {
        switch self {
        case .incompleteRecord(let agreement, let issue):
            "agreement \(agreement) leaves an invalid record: \(issue)"
        }
    }
}
