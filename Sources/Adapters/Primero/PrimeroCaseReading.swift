import Foundation
import PrimesModel

/// Turns one Primero case into a canonical person, following the mapping's rules.
///
/// Every key of the case ends up somewhere: in a canonical field, in `extensions["unicef.primero"]` (and the
/// report's `keptInExtensions`), or, when it is empty (null, "" or []), nowhere, because it says nothing.
struct PrimeroCaseReading {
    static let namespace = "unicef.primero"

    let mapping: PrimeroMapping
    let receivedAt: String
    private let encoder = JSONEncoder()

    init(mapping: PrimeroMapping, receivedAt: String) {
        self.mapping = mapping
        self.receivedAt = receivedAt
    }

    func read(_ primeroCase: [String: JSONValue], at location: RecordLocation) -> ReadItem {
        var person: JSONValue = .object(["recordType": "person"])
        var extensions: [String: JSONValue] = [:]
        var issues: [FieldIssue] = []
        var warnings: [FieldIssue] = []
        var consumed: Set<String> = []

        for rule in mapping.rules {
            consumed.insert(rule.field)
            if let estimatedField = rule.estimatedField { consumed.insert(estimatedField) }
            guard let raw = primeroCase[rule.field], !PrimeroValue.isEmpty(raw) else { continue }
            do {
                let value = try PrimeroValue.read(raw, as: rule.type)
                guard let canonical = rule.canonical else {
                    extensions[rule.field] = value
                    continue
                }
                try place(value, by: rule, at: canonical, in: &person, extensions: &extensions, case: primeroCase)
            } catch let error as PrimeroValueError {
                issues.append(FieldIssue(field: rule.field, rule: error.description))
            } catch let error as MappingError {
                if rule.keepsUnmapped, case .unmapped = error {
                    extensions[rule.field] = raw
                    warnings.append(FieldIssue(field: rule.field, rule: error.description, severity: .warning))
                } else {
                    issues.append(FieldIssue(field: rule.field, rule: error.description))
                }
            } catch {
                issues.append(FieldIssue(field: rule.field, rule: "\(error)"))
            }
        }

        for (key, value) in primeroCase where !consumed.contains(key) && !PrimeroValue.isEmpty(value) {
            extensions[key] = value
        }
        guard issues.isEmpty else { return .rejected(RecordRejection(location: location, issues: issues)) }

        var provenance: [String: JSONValue] = [
            "system": .string(Self.namespace), "format": .string(PrimeroFormat.name), "formatVersion": "v2",
            "receivedAt": .string(receivedAt),
        ]
        if let caseId = primeroCase["id"]?.scalarText { provenance["recordId"] = .string(caseId) }
        person = set(.object(provenance), at: "provenance", in: person)

        do {
            // The model's own single-pass decoding checks the person; extensions are set after it, as they need
            // no checking and were half the cost.
            let bytes = try encoder.encode(person)
            let record = try bytes.withUnsafeBytes { (buffer) throws(JSONScanError) in
                try CanonicalJSONDecoding.decode(buffer)
            }
            guard case .person(var decoded) = record else {
                throw JSONScanError(field: "recordType", rule: "not a person")
            }
            if !extensions.isEmpty { decoded.extensions = [Self.namespace: extensions] }
            return .record(
                SourceRecord(
                    record: Normalizer.normalized(.person(decoded)),
                    location: location,
                    warnings: warnings,
                    keptInExtensions: extensions.keys.sorted().map { "\(Self.namespace).\($0)" }
                )
            )
        } catch let error as JSONScanError {
            return .rejected(RecordRejection(location: location, issues: [error.issue]))
        } catch {
            return .rejected(RecordRejection(location: location, issues: [CanonicalReader.issue(for: error)]))
        }
    }

    /// Puts one read value into its canonical field.
    private func place(
        _ value: JSONValue,
        by rule: PrimeroFieldRule,
        at canonical: FieldPath,
        in person: inout JSONValue,
        extensions: inout [String: JSONValue],
        case primeroCase: [String: JSONValue]
    ) throws {
        switch rule.type {
        case .lookup, .lookups:
            let codes: [String]
            if case .array(let items) = value {
                codes = items.compactMap(\.scalarText)
            } else {
                codes = [value.scalarText ?? ""]
            }
            var mapped: [JSONValue] = []
            for code in codes {
                let canonicalCode = try rule.codeList.map { (list) throws(MappingError) in try list.canonical(for: code)
                }
                mapped.append(.string(canonicalCode ?? code))
            }
            if rule.partial || rule.type == .lookups {
                let existing = canonical.value(in: person).flatMap {
                    if case .array(let items) = $0 { items } else { nil }
                }
                var list = existing ?? []
                for item in mapped where !list.contains(item) { list.append(item) }
                try canonical.set(.array(list), in: &person)
            } else if let first = mapped.first {
                try canonical.set(first, in: &person)
            }
        case .date:
            var date: [String: JSONValue] = ["value": value, "precision": "day"]
            if let estimatedField = rule.estimatedField, let flag = primeroCase[estimatedField],
                !PrimeroValue.isEmpty(flag)
            {
                date["estimated"] = .bool(try PrimeroValue.boolean(flag))
            }
            try canonical.set(.object(date), in: &person)
        case .adminCode:
            let level: JSONValue = .object(["level": .number(Double(rule.level ?? 1)), "code": value])
            try FieldPath("\(canonical).levels").set(.array([level]), in: &person)
        case .family:
            try placeFamily(value, by: rule, at: canonical, in: &person, extensions: &extensions)
        case .text, .integer, .boolean, .dateTime, .caseId:
            try canonical.set(value, in: &person)
        }
    }

    /// Subform rows become relationships (by the row's `unique_id`); rows that say more than the relation keep
    /// their fields in extensions, so that writing the person back sends them again.
    private func placeFamily(
        _ value: JSONValue,
        by rule: PrimeroFieldRule,
        at canonical: FieldPath,
        in person: inout JSONValue,
        extensions: inout [String: JSONValue]
    ) throws {
        guard case .array(let rows) = value else { return }
        var relationships: [JSONValue] = []
        var keptRows: [JSONValue] = []
        for (index, row) in rows.enumerated() {
            guard case .object(var fields) = row else { throw PrimeroValueError.expected("a list of subform rows") }
            let reference = fields["unique_id"]?.scalarText ?? "\(rule.field)[\(index)]"
            if let relation = fields["relation"], let code = relation.scalarText, !code.isEmpty {
                let type =
                    try rule.codeList.map { (list) throws(MappingError) in try list.canonical(for: code) } ?? code
                relationships.append(.object(["type": .string(type), "ref": .string(reference)]))
            }
            fields["relation"] = nil
            for (name, type) in rule.rowFields {
                guard let raw = fields[name] else { continue }
                fields[name] = PrimeroValue.isEmpty(raw) ? nil : try PrimeroValue.read(raw, as: type)
            }
            fields = fields.filter { !PrimeroValue.isEmpty($0.value) }
            if fields.keys.contains(where: { $0 != "unique_id" }) {
                fields["unique_id"] = .string(reference)
                keptRows.append(.object(fields))
            }
        }
        try canonical.set(.array(relationships), in: &person)
        if !keptRows.isEmpty { extensions[rule.field] = .array(keptRows) }
    }

    private func set(_ value: JSONValue, at key: String, in object: JSONValue) -> JSONValue {
        guard case .object(var fields) = object else { return object }
        fields[key] = value
        return .object(fields)
    }
}
