import Foundation
import PrimesModel

/// Turns a canonical person into the `data` of a Primero case request, exactly as Primero's strict schema
/// accepts it: integers, `YYYY-MM-DD` dates, lookup ids, subform rows with deterministic `unique_id`s, the
/// `module_id`, and no key the mapping does not know.
struct PrimeroCaseWriting {
    let mapping: PrimeroMapping

    /// What writing one person gave: the case's fields, and the canonical fields Primero cannot hold.
    struct Written {
        var data: [String: JSONValue]
        var notHeld: [String]
    }

    /// The case for `person`, or a rejection listing every field that cannot be sent.
    func write(_ person: Person, at location: RecordLocation) throws(RecordRejection) -> Written {
        // The model's own encoding, scanned back into a tree the rules can walk by field path.
        let encoding = CanonicalJSONEncoding()
        encoding.encode(.person(person))
        let canonical: JSONValue
        do {
            canonical = try encoding.bytes.withUnsafeBytes { (buffer) throws(JSONScanError) in
                var scanner = JSONScanner(buffer)
                return try scanner.readValue()
            }
        } catch {
            throw RecordRejection(location: location, field: "record", rule: "cannot be encoded")
        }
        let primeroExtensions = person.extensions[PrimeroCaseReading.namespace] ?? [:]
        var data: [String: JSONValue] = [:]
        var remaining = canonical
        var issues: [FieldIssue] = []

        for rule in mapping.rules where !rule.readOnly {
            if let sent = data[rule.field] {
                // A second rule for the same key (the individual id as `id` and as an identifier): its value is
                // held when it is the one already sent.
                if let path = rule.canonical, let value = path.value(in: canonical), value.scalarText == sent.scalarText
                {
                    Self.release(path, from: &remaining)
                }
                continue
            }
            do {
                guard let path = rule.canonical else {
                    if let value = primeroExtensions[rule.field], !PrimeroValue.isEmpty(value) {
                        data[rule.field] = try PrimeroValue.write(value, as: rule.type)
                    }
                    continue
                }
                try write(rule, from: path, canonical: canonical, person: person, into: &data, remaining: &remaining)
            } catch let error as PrimeroValueError {
                issues.append(FieldIssue(field: rule.canonical?.description ?? rule.field, rule: error.description))
            } catch let error as MappingError {
                issues.append(FieldIssue(field: rule.canonical?.description ?? rule.field, rule: error.description))
            } catch {
                issues.append(FieldIssue(field: rule.field, rule: "\(error)"))
            }
        }
        // A value the reader kept because the code list lacked it goes back as it came.
        for rule in mapping.rules where rule.keepsUnmapped && !rule.readOnly && data[rule.field] == nil {
            if let value = primeroExtensions[rule.field], !PrimeroValue.isEmpty(value) { data[rule.field] = value }
        }
        if data["id"] == nil, let individual = person.id ?? person.identifier("unhcr.progres.individual") {
            data["id"] = .string(mapping.caseId(forIndividual: individual))
        }
        data["module_id"] = .string(mapping.module)

        var notHeld = Self.leftovers(in: remaining)
        let declared = Set(
            mapping.rules.filter { $0.canonical == nil || $0.type == .family || $0.keepsUnmapped }.map(\.field)
        )
        for key in primeroExtensions.keys.sorted() where !declared.contains(key) {
            if mapping.readOnlyFields.contains(key) || !mapping.refusesUnknownExtensions {
                notHeld.append("extensions.\(PrimeroCaseReading.namespace).\(key)")
            } else {
                issues.append(
                    FieldIssue(
                        field: "extensions.\(PrimeroCaseReading.namespace).\(key)",
                        rule: "not a field of mapping \(mapping.file.name): Primero refuses unknown keys"
                    )
                )
            }
        }
        for namespace in person.extensions.keys.sorted() where namespace != PrimeroCaseReading.namespace {
            notHeld.append("extensions.\(namespace)")
        }
        guard issues.isEmpty else { throw RecordRejection(location: location, issues: issues) }
        return Written(data: data, notHeld: notHeld)
    }

    private func write(
        _ rule: PrimeroFieldRule,
        from path: FieldPath,
        canonical: JSONValue,
        person: Person,
        into data: inout [String: JSONValue],
        remaining: inout JSONValue
    ) throws {
        guard let value = path.value(in: canonical), !PrimeroValue.isEmpty(value) else { return }
        switch rule.type {
        case .lookup, .lookups:
            try writeLookup(rule, value: value, path: path, into: &data, remaining: &remaining)
        case .date:
            guard case .object(let date) = value, date["precision"] == "day", let day = date["value"] else {
                // Primero holds full dates only; a year or a month is reported, never padded into a day.
                return
            }
            data[rule.field] = try PrimeroValue.write(day, as: .date)
            if let estimatedField = rule.estimatedField {
                data[estimatedField] = .bool(date["estimated"] == .bool(true))
            }
            Self.release(path, from: &remaining)
        case .adminCode:
            guard let code = person.location?.mostPreciseCode else { return }
            data[rule.field] = .string(code)
            try FieldPath("\(path).levels").remove(from: &remaining)
        case .family:
            data[rule.field] = try familyRows(rule, person: person)
            Self.release(path, from: &remaining)
        case .text, .integer, .boolean, .dateTime, .caseId:
            data[rule.field] = try PrimeroValue.write(value, as: rule.type)
            Self.release(path, from: &remaining)
        }
    }

    private func writeLookup(
        _ rule: PrimeroFieldRule,
        value: JSONValue,
        path: FieldPath,
        into data: inout [String: JSONValue],
        remaining: inout JSONValue
    ) throws {
        let values: [String]
        if case .array(let items) = value {
            values = items.compactMap(\.scalarText)
        } else {
            values = [value.scalarText ?? ""]
        }
        var codes: [String] = []
        var written: Set<String> = []
        for canonicalCode in values {
            guard let list = rule.codeList else {
                codes.append(canonicalCode)
                written.insert(canonicalCode)
                continue
            }
            let result = Result { () throws(MappingError) -> String in try list.code(for: canonicalCode) }
            switch result {
            case .success(let code):
                codes.append(code)
                written.insert(canonicalCode)
            case .failure(let error):
                if !rule.partial { throw error }
            }
        }
        guard !codes.isEmpty else { return }
        data[rule.field] = rule.type == .lookups ? .array(codes.map { .string($0) }) : .string(codes[0])
        if rule.type == .lookup { written = [values.first { written.contains($0) } ?? ""] }

        // Only the values written leave `remaining`: another rule, or the report, takes the rest.
        guard case .array(let items)? = path.value(in: remaining) else {
            Self.release(path, from: &remaining)
            return
        }
        let left = items.filter { !written.contains($0.scalarText ?? "") }
        if left.isEmpty { Self.release(path, from: &remaining) } else { try path.set(.array(left), in: &remaining) }
    }

    /// One subform row per relationship, its `unique_id` stable for the same person, type and relative, and
    /// its other fields from the rows kept in extensions when the person was read from Primero.
    private func familyRows(_ rule: PrimeroFieldRule, person: Person) throws -> JSONValue {
        var keptRows: [String: [String: JSONValue]] = [:]
        if case .array(let rows)? = person.extensions[PrimeroCaseReading.namespace]?[rule.field] {
            for case .object(let row) in rows {
                if let id = row["unique_id"]?.scalarText { keptRows[id] = row }
            }
        }
        let owner = person.id ?? person.identifier("unhcr.progres.individual") ?? person.ref ?? ""
        var rows: [JSONValue] = []
        for relationship in person.relationships {
            let relation = try rule.codeList.map { (list) throws(MappingError) in try list.code(for: relationship.type)
            }
            let uniqueId =
                keptRows[relationship.ref] != nil
                ? relationship.ref
                : NameBasedUUID.version5(
                    namespace: mapping.caseIdNamespace,
                    name: "\(owner)/\(rule.field)/\(relationship.type)/\(relationship.ref)"
                )
            var row: [String: JSONValue] = [
                "unique_id": .string(uniqueId), "relation": .string(relation ?? relationship.type),
            ]
            for (name, type) in rule.rowFields {
                guard let value = keptRows[relationship.ref]?[name], !PrimeroValue.isEmpty(value) else { continue }
                row[name] = try PrimeroValue.write(value, as: type)
            }
            rows.append(.object(row))
        }
        return .array(rows)
    }

    /// Takes a written field out of `remaining`; for `identifiers[scheme=X].value` the whole identifier goes,
    /// so that its `scheme` is not reported as a field left behind.
    static func release(_ path: FieldPath, from remaining: inout JSONValue) {
        if path.segments.count >= 2, case .match = path.segments[path.segments.count - 2],
            let dot = path.description.lastIndex(of: "."),
            let element = try? FieldPath(String(path.description[..<dot]))
        {
            element.remove(from: &remaining)
        } else {
            path.remove(from: &remaining)
        }
    }

    /// The canonical fields left after every rule took its own: what Primero cannot hold.
    static func leftovers(in remaining: JSONValue) -> [String] {
        guard case .object(let fields) = remaining else { return [] }
        let bookkeeping: Set<String> = ["recordType", "ref", "provenance", "extensions", "updatedAt", "version"]
        var paths: [String] = []
        for key in fields.keys.sorted() where !bookkeeping.contains(key) {
            guard let value = fields[key], !PrimeroValue.isEmpty(value) else { continue }
            switch value {
            case .object(let inner) where inner["precision"] != nil:
                paths.append(key)  // a partial date is one field
            case .object(let inner):
                for innerKey in inner.keys.sorted() where !PrimeroValue.isEmpty(inner[innerKey] ?? .null) {
                    if key == "group", inner[innerKey] == .bool(false) { continue }
                    paths.append("\(key).\(innerKey)")
                }
            case .array(let items):
                let schemes = items.compactMap { item -> String? in
                    if case .object(let object) = item { return object["scheme"]?.scalarText }
                    return nil
                }
                if schemes.count == items.count {
                    paths += schemes.map { "\(key)[scheme=\($0)]" }
                } else {
                    paths.append(key)
                }
            default:
                paths.append(key)
            }
        }
        return paths
    }
}
