import Adapters
import Foundation
import PrimesModel

/// The canonical fields one destination may receive, read from a YAML file; everything else is removed
/// before the record is converted for that destination (fail closed). Some shared fields may be shared only
/// in a lesser form.
///
/// ```yaml
/// agreement: registry-births-2026
/// version: 3
/// purpose: birth registration follow-up
/// fields:
///   - id
///   - name.family
///   - birthDate
///   - identifiers[scheme=unhcr.progres.individual].value
/// transform:
///   birthDate: year                                                  # the year alone
///   "identifiers[scheme=unhcr.progres.individual].value": pseudonym  # a keyed pseudonym
/// ```
/// A path names a whole subtree (`name` allows every part of the name). `recordType` is always kept.
public struct DataSharingAgreement: Sendable, Equatable {
    public let name: String
    public let version: String
    public let purpose: String?
    public let fields: [FieldPath]
    /// What happens to shared fields before they leave, in the order the file gives.
    public let transformations: [Transformation]
    /// The file it was read from, for messages.
    public let file: String

    /// One shared field sent in a lesser form.
    public struct Transformation: Sendable, Equatable {
        public enum Kind: String, Sendable, CaseIterable {
            /// A date generalised to its year (`1990-05-17` becomes `1990`, precision `year`).
            case year
            /// A text replaced by `psn-` and 32 hexadecimal digits of its HMAC-SHA-256 under the destination's
            /// `pseudonymKey`: the same value gives the same pseudonym for that destination only.
            case pseudonym
        }

        public var field: FieldPath
        public var kind: Kind

        public init(field: FieldPath, kind: Kind) {
            self.field = field
            self.kind = kind
        }
    }

    public init(
        name: String, version: String, purpose: String? = nil, fields: [FieldPath],
        transformations: [Transformation] = [], file: String = ""
    ) {
        self.name = name
        self.version = version
        self.purpose = purpose
        self.fields = fields
        self.transformations = transformations
        self.file = file
    }

    /// The agreement a consent withdrawal leaves under: of the subject's identity (`id`, `ref`,
    /// `identifiers`), what this agreement shares and in the form it shares it, and the `consent` block that
    /// says the consent is withdrawn, which the notice is for; nothing else about the person.
    public var withdrawalNotice: DataSharingAgreement {
        let identity = fields.filter { field in
            guard case .key(let name)? = field.segments.first else { return false }
            return ["id", "ref", "identifiers"].contains(name)
        }
        // A constant path: `consent` is a valid field path.
        let consent = (try? FieldPath("consent")).map { [$0] } ?? []
        return DataSharingAgreement(
            name: name, version: version, purpose: purpose, fields: identity + consent,
            transformations: transformations.filter { transformation in
                identity.contains { transformation.field.lies(within: $0) }
            }, file: file)
    }

    /// Whether sending under this agreement needs the destination's pseudonym key.
    public var needsPseudonymKey: Bool {
        transformations.contains { $0.kind == .pseudonym }
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
        for pair in pairs where !["agreement", "version", "purpose", "fields", "transform"].contains(pair.key) {
            throw fail(pair.value, pair.key, "unknown key (known: agreement, version, purpose, fields, transform)")
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
        var transformations: [Transformation] = []
        if let node = root["transform"] {
            guard let pairs = node.pairs else {
                throw fail(node, "transform", "must map field paths to a transformation (year, pseudonym)")
            }
            for pair in pairs {
                let key = "transform.\(pair.key)"
                let field: FieldPath
                do {
                    field = try FieldPath(pair.key)
                } catch {
                    throw fail(pair.value, key, error.description)
                }
                guard let text = pair.value.scalar, let kind = Transformation.Kind(rawValue: text) else {
                    throw fail(pair.value, key, "unknown transformation (known: year, pseudonym)")
                }
                guard fields.contains(where: { field.lies(within: $0) }) else {
                    throw fail(pair.value, key, "transforms a field the agreement does not share")
                }
                transformations.append(Transformation(field: field, kind: kind))
            }
        }
        return DataSharingAgreement(
            name: name, version: root["version"]?.scalar ?? "1", purpose: root["purpose"]?.scalar, fields: fields,
            transformations: transformations, file: path)
    }

    /// The record with only the agreed fields, transformed as agreed. Throws when what remains is not a valid
    /// record (an agreement that keeps half of a structure the model requires whole), or when a transformation
    /// cannot be made (a pseudonym without `pseudonymKey`, a year of something that is not a date).
    public func apply(to record: CanonicalRecord, pseudonymKey: [UInt8]? = nil) throws -> CanonicalRecord {
        try apply(toJSON: try JSONValue(encoding: record), pseudonymKey: pseudonymKey)
    }

    /// The same, from a record's JSON form, as the outbox stores it: one decoding fewer per delivery.
    public func apply(toJSON full: JSONValue, pseudonymKey: [UInt8]? = nil) throws -> CanonicalRecord {
        try share(full, pseudonymKey: pseudonymKey).record
    }

    /// The record as it may leave, and the agreement's fields it carries (those the record has a value for),
    /// as the disclosure ledger records them.
    public func share(_ full: JSONValue, pseudonymKey: [UInt8]? = nil) throws -> (
        record: CanonicalRecord, fields: [String]
    ) {
        guard case .object(let object) = full, let recordType = object["recordType"] else {
            throw AgreementError.incompleteRecord(
                agreement: name, issue: FieldIssue(field: "recordType", rule: "required field is missing"))
        }
        var kept = JSONValue.object(["recordType": recordType])
        var shared: [String] = []
        for field in fields {
            guard let value = field.value(in: full) else { continue }
            try field.set(value, in: &kept)
            shared.append(field.description)
        }
        for transformation in transformations {
            guard let value = transformation.field.value(in: kept), value != .null else { continue }
            try transformation.field.set(
                try transformed(value, transformation, pseudonymKey: pseudonymKey), in: &kept)
        }
        let decoded = kept.jsonBytes.withUnsafeBytes { raw in
            Result { () throws(JSONScanError) in try CanonicalJSONDecoding.decode(raw) }
        }
        switch decoded {
        case .success(let record): return (record, shared)
        case .failure(let error):
            throw AgreementError.incompleteRecord(
                agreement: name, issue: FieldIssue(field: error.field, rule: error.rule))
        }
    }

    private func transformed(_ value: JSONValue, _ transformation: Transformation, pseudonymKey: [UInt8]?)
        throws(AgreementError) -> JSONValue
    {
        let field = transformation.field.description
        switch transformation.kind {
        case .year:
            guard case .object(var date) = value, let text = date["value"]?.scalarText, text.utf8.count >= 4 else {
                throw .cannotTransform(agreement: name, field: field, reason: "a year is taken only from a date")
            }
            date["value"] = .string(String(text.prefix(4)))
            date["precision"] = .string("year")
            return .object(date)
        case .pseudonym:
            guard let key = pseudonymKey else {
                throw .cannotTransform(agreement: name, field: field, reason: "the destination has no pseudonymKey")
            }
            guard let text = value.scalarText else {
                throw .cannotTransform(agreement: name, field: field, reason: "a pseudonym replaces only a text")
            }
            return .string("psn-" + String(lowerHex(TokenHash.hmacSHA256(Array(text.utf8), key: key)).prefix(32)))
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
    /// A transformation the record's value does not allow; the reason names no value.
    case cannotTransform(agreement: String, field: String, reason: String)

    public var description: String {
        switch self {
        case .incompleteRecord(let agreement, let issue):
            "agreement \(agreement) leaves an invalid record: \(issue)"
        case .cannotTransform(let agreement, let field, let reason):
            "agreement \(agreement) cannot transform \(field): \(reason)"
        }
    }
}

extension FieldPath {
    /// Whether this path names `other` or a part of it: `name.family` lies within `name`, `identifiers` does
    /// not lie within `id`.
    fileprivate func lies(within other: FieldPath) -> Bool {
        segments.starts(with: other.segments)
    }
}
