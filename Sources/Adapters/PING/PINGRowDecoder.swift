import PrimesModel

/// Turns one flat PING row (attribute path → value) into a canonical person, following the mapping's rules.
///
/// Every attribute of the row ends up in one of three places: a canonical field, the person's
/// `extensions["unhcr.progres"]` (listed in `keptInExtensions`), or an issue naming the attribute and the rule.
struct PINGRowDecoder {
    /// What one row became.
    struct Decoded {
        var person: Person
        var keptInExtensions: [String]
        var warnings: [FieldIssue]
    }

    /// Which entity an unqualified key belongs to: the retrieved record in a retrieval response, the
    /// individual in an ingestion payload.
    enum Shape {
        case retrieval
        case ingestion
    }

    let rules: [PINGFieldRule]
    let settings: PINGMappingSettings
    let mappingVersion: String
    let codeLists: CanonicalCodeLists
    let receivedAt: String

    init(mapping: MappingFile, codeLists: CanonicalCodeLists, receivedAt: String) throws(MappingError) {
        rules = try mapping.rules(as: PINGFieldRule.self)
        settings = try PINGMappingSettings(mapping: mapping)
        mappingVersion = mapping.version
        self.codeLists = codeLists
        self.receivedAt = receivedAt
    }

    /// Decodes one row; throws the issues that stop the record.
    func decode(_ row: [(key: String, value: JSONValue)], shape: Shape, externalId: String?) throws(PINGRowIssues)
        -> Decoded
    {
        var attributes = AttributeTable(row: row, settings: settings, shape: shape)
        var state = RowState()
        var issues: [FieldIssue] = []

        for rule in rules where rule.type != .languageLevel {
            guard let found = attributes.take(entity: rule.entity, attribute: rule.attribute) else { continue }
            do {
                try apply(rule, found, &attributes, &state)
            } catch {
                issues.append(FieldIssue(field: found.key, rule: error.rule))
            }
        }
        if state.language != nil {
            for rule in rules where rule.type == .languageLevel {
                guard let found = attributes.take(entity: rule.entity, attribute: rule.attribute),
                    let code = found.value.scalarText
                else { continue }
                state.setLevel(rule.property ?? "", code)
            }
        }
        guard issues.isEmpty else { throw PINGRowIssues(issues: issues) }

        var extensions: [String: JSONValue] = state.referenceIds
        var kept = state.referenceIds.keys.map { "\($0).Id" }
        for (key, value) in attributes.remaining where value != .null {
            if let earlier = extensions[key] {
                // An ingestion payload may name a field twice; both values are kept.
                extensions[key] = .array([earlier, value])
            } else {
                extensions[key] = value
                kept.append(key)
            }
        }
        let warnings = attributes.repeated.map { key in
            FieldIssue(
                field: key, rule: "given more than once: the first value is mapped, the others kept in extensions",
                severity: .warning)
        }
        // The writer sends `ref ?? id` as ExternalId, so an ExternalId equal to the id adds no ref.
        if let externalId, !externalId.isEmpty, externalId != state.id { state.set(.string(externalId), at: "ref") }
        do {
            let person = try state.person(
                extensions: extensions.isEmpty ? [:] : [settings.extensionNamespace: extensions],
                provenance: provenance(id: state.id),
                idScheme: settings.individualIdScheme
            )
            return Decoded(person: person, keptInExtensions: kept.sorted(), warnings: warnings)
        } catch {
            throw PINGRowIssues(issues: [CanonicalReader.issue(for: error)])
        }
    }

    private func provenance(id: String?) -> Provenance {
        Provenance(
            system: "unhcr.progres", recordId: id, format: PINGFormat.name, formatVersion: mappingVersion,
            receivedAt: receivedAt)
    }

    // MARK: - Rules

    private func apply(
        _ rule: PINGFieldRule,
        _ found: (key: String, value: JSONValue),
        _ attributes: inout AttributeTable,
        _ state: inout RowState
    ) throws(RuleFailure) {
        let value = found.value
        if value == .null {
            _ = attributes.take(entity: rule.entity, attribute: rule.attribute + "name")
            return
        }
        switch rule.type {
        case .text:
            guard let text = value.scalarText else { throw RuleFailure("must be text") }
            try state.set(.string(text), at: rule.canonical)
            for (path, constant) in rule.alongside { try state.set(constant, at: path) }
        case .date:
            guard case .string(let text) = value else { throw RuleFailure("must be an ISO date or date-time") }
            let date = try Self.partialDate(text)
            try state.set(try Self.json(date), at: rule.canonical)
        case .optionSet:
            let label = attributes.take(entity: rule.entity, attribute: rule.attribute + "name")?.value.scalarText
            guard let list = rule.codeList else { return }
            let code: String
            if rule.byLabel {
                guard let label else {
                    throw RuleFailure("the option set's label (\(rule.attribute)name) is needed to map it")
                }
                code = label
            } else {
                guard let number = value.integer else { throw RuleFailure("must be an option-set integer") }
                code = String(number)
            }
            let canonical: String
            do {
                canonical = try list.canonical(for: code)
            } catch {
                throw RuleFailure(error.description)
            }
            try state.set(.string(canonical), at: rule.canonical)
        case .reference:
            let reference = try resolve(rule, value, &attributes)
            guard let name = reference.name else { throw RuleFailure("the reference has no display name") }
            try state.set(.string(name), at: rule.canonical)
            state.keep(reference, for: rule.attribute)
        case .country:
            let reference = try resolve(rule, value, &attributes)
            guard let name = reference.name else { throw RuleFailure("the reference has no display name") }
            guard let country = countryCode(named: name) else {
                throw RuleFailure("\"\(name)\" has no entry in code list \(ISOCodeTables.countryListName)")
            }
            try state.set(.string(country), at: rule.canonical)
            state.keep(reference, for: rule.attribute)
        case .language:
            let reference = try resolve(rule, value, &attributes)
            guard let name = reference.name else { throw RuleFailure("the reference has no display name") }
            guard let code = languageCode(named: name) else {
                throw RuleFailure("\"\(name)\" has no entry in code list \(ISOCodeTables.languageListName)")
            }
            state.language = LanguageSkill(code: code)
            state.keep(reference, for: rule.attribute)
        case .specificNeed:
            let reference = try resolve(rule, value, &attributes)
            guard let name = reference.name, let list = rule.codeList else {
                throw RuleFailure("the reference has no display name")
            }
            do {
                state.specificNeeds.append(try list.canonical(for: name))
            } catch {
                throw RuleFailure(error.description)
            }
            state.keep(reference, for: rule.attribute)
        case .locationLevel:
            let reference = try resolve(rule, value, &attributes)
            state.levels.append(AdminLevel(level: rule.level ?? 0, code: reference.id, name: reference.name))
        case .languageLevel:
            break
        }
    }

    /// A reference as PING gives it: a `{Id, LogicalName, Name}` object, or a GUID whose display name is the
    /// sibling attribute `<attribute>name`, or (in older payloads) the display text alone.
    private func resolve(
        _ rule: PINGFieldRule,
        _ value: JSONValue,
        _ attributes: inout AttributeTable
    ) throws(RuleFailure) -> PINGReference {
        let sibling = attributes.take(entity: rule.entity, attribute: rule.attribute + "name")?.value.scalarText
        switch value {
        case .object(let object):
            return PINGReference(
                id: object["Id"]?.scalarText, logicalName: object["LogicalName"]?.scalarText,
                name: object["Name"]?.scalarText ?? sibling)
        case .string(let text):
            if let sibling { return PINGReference(id: text, logicalName: nil, name: sibling) }
            return PINGReference.isGUID(text)
                ? PINGReference(id: text, logicalName: nil, name: nil)
                : PINGReference(id: nil, logicalName: nil, name: text)
        default:
            throw RuleFailure("must be a reference ({Id, LogicalName, Name}) or a GUID")
        }
    }

    private func countryCode(named name: String) -> String? {
        guard let list = codeLists[ISOCodeTables.countryListName] else { return nil }
        if list.contains(name.uppercased()) && name.count == 3 { return name.uppercased() }
        return list.entries.first { entry in
            entry.label == name || entry.attributes["common_name"] == name || entry.attributes["official_name"] == name
        }?.code
    }

    private func languageCode(named name: String) -> String? {
        guard let list = codeLists[ISOCodeTables.languageListName] else { return nil }
        return list.entry(where: "inverted_name", is: name)?.code ?? list.entries.first { $0.label == name }?.code
    }

    /// A date from `YYYY-MM-DD` or an ISO date-time, at the precision the text gives. The time and zone are
    /// ignored: Dynamics stores a date-only attribute as a midnight in the user's zone, so shifting it to
    /// UTC would move the day.
    static func partialDate(_ text: String) throws(RuleFailure) -> PartialDate {
        let datePart = text.split(separator: "T", maxSplits: 1).first.map(String.init) ?? text
        do {
            return try PartialDate(iso: datePart)
        } catch {
            throw RuleFailure("must be an ISO date or date-time (\(error.description))")
        }
    }

    static func json(_ date: PartialDate) throws(RuleFailure) -> JSONValue {
        do {
            return try JSONValue(encoding: date)
        } catch {
            throw RuleFailure("cannot be encoded")
        }
    }
}

/// A `{Id, LogicalName, Name}` reference to another Dynamics record.
struct PINGReference: Equatable {
    var id: String?
    var logicalName: String?
    var name: String?

    static func isGUID(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.map(\.count) == [8, 4, 4, 4, 12] && parts.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }
}

/// Why one attribute could not be mapped; the row decoder adds the attribute's key.
struct RuleFailure: Error {
    let rule: String

    init(_ rule: String) {
        self.rule = rule
    }
}

/// The issues that stop a row from becoming a record.
struct PINGRowIssues: Error {
    let issues: [FieldIssue]
}

/// A row's attributes by entity and attribute name, with what has not been taken by a rule yet.
private struct AttributeTable {
    private var byAttribute: [String: (key: String, value: JSONValue)] = [:]
    private var order: [String] = []
    private var unclaimed: [(key: String, value: JSONValue)] = []
    /// Keys naming an attribute that an earlier key of the row already gave.
    private(set) var repeated: [String] = []

    init(row: [(key: String, value: JSONValue)], settings: PINGMappingSettings, shape: PINGRowDecoder.Shape) {
        for (key, value) in row {
            let segments = key.split(separator: ".", omittingEmptySubsequences: false)
            let attribute = String(segments.last ?? "")
            let qualifiers = segments.dropLast()
            let entity: String
            if qualifiers.isEmpty {
                entity = shape == .ingestion ? "individual" : "retrieved-record"
            } else {
                entity = settings.entity(qualifiers: qualifiers) ?? "unknown"
            }
            let slot = entity + "." + attribute
            if byAttribute[slot] == nil {
                byAttribute[slot] = (key, value)
                order.append(slot)
            } else {
                unclaimed.append((key, value))
                repeated.append(key)
            }
        }
    }

    mutating func take(entity: String, attribute: String) -> (key: String, value: JSONValue)? {
        byAttribute.removeValue(forKey: entity + "." + attribute)
    }

    /// The attributes no rule took, in their order in the row.
    var remaining: [(key: String, value: JSONValue)] {
        order.compactMap { byAttribute[$0] } + unclaimed
    }
}

/// The person being built from one row.
private struct RowState {
    var json = JSONValue.object(["recordType": "person"])
    var language: LanguageSkill?
    var specificNeeds: [String] = []
    var levels: [AdminLevel] = []
    var referenceIds: [String: JSONValue] = [:]

    var id: String? {
        if case .object(let object) = json { return object["id"]?.scalarText }
        return nil
    }

    mutating func set(_ value: JSONValue, at path: FieldPath?) throws(RuleFailure) {
        guard let path else { return }
        do {
            try path.set(value, in: &json)
        } catch {
            throw RuleFailure(error.description)
        }
    }

    mutating func set(_ value: JSONValue, at path: String) {
        if let path = try? FieldPath(path) { try? path.set(value, in: &json) }
    }

    mutating func setLevel(_ property: String, _ code: String) {
        switch property {
        case "read": language?.read = code
        case "write": language?.write = code
        case "speak": language?.speak = code
        case "understand": language?.understand = code
        default: break
        }
    }

    /// Keeps a reference's GUID (and entity), which no canonical field holds, in the extensions.
    mutating func keep(_ reference: PINGReference, for attribute: String) {
        guard let id = reference.id else { return }
        var object: [String: JSONValue] = ["Id": .string(id)]
        if let logicalName = reference.logicalName { object["LogicalName"] = .string(logicalName) }
        referenceIds[attribute] = .object(object)
    }

    func person(extensions: [String: [String: JSONValue]], provenance: Provenance, idScheme: String) throws
        -> Person
    {
        var person = try json.decode(as: Person.self)
        if let language { person.languages = [language] }
        // A sub-category (CR-AF) says its category (CR) already.
        person.specificNeeds = specificNeeds.filter { need in
            !specificNeeds.contains { $0 != need && $0.hasPrefix(need + "-") }
        }
        if !levels.isEmpty {
            person.location = Location(levels: levels.sorted { $0.level < $1.level }, address: person.location?.address)
        }
        if let id = person.id, person.identifier(idScheme) == nil {
            person.identifiers.insert(Identifier(scheme: idScheme, value: id), at: 0)
        }
        person.extensions = extensions
        person.provenance = provenance
        return person
    }
}
