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

    /// A rule with what each row needs of it worked out once: its table slots and its canonical targets.
    ///
    /// WHY: a class, so that applying a rule to a row passes a reference instead of copying the rule's many
    /// strings and lists.
    final class CompiledRule {
        let rule: PINGFieldRule
        /// The attribute's slot in an `AttributeTable`: the number of `entity.attribute` among the rules' slots.
        let slot: Int
        /// The slot of the attribute's display label or name, `entity.attributename`.
        let labelSlot: Int
        let canonical: CanonicalTarget?
        let alongside: [(target: CanonicalTarget, value: JSONValue)]

        init(
            rule: PINGFieldRule,
            slot: Int,
            labelSlot: Int,
            canonical: CanonicalTarget?,
            alongside: [(target: CanonicalTarget, value: JSONValue)]
        ) {
            self.rule = rule
            self.slot = slot
            self.labelSlot = labelSlot
            self.canonical = canonical
            self.alongside = alongside
        }
    }

    let rules: [PINGFieldRule]
    /// The rules but the language levels, in mapping order, then the language levels.
    private let fieldRules: [CompiledRule]
    private let levelRules: [CompiledRule]
    /// Whether every canonical path of the mapping is a `PINGPersonField`, so that rows are built as drafts.
    private let usesDrafts: Bool
    private let refTarget: CanonicalTarget?
    /// Which slot each row key names, remembered across rows.
    private let slots: SlotResolver
    let settings: PINGMappingSettings
    let mappingVersion: String
    let codeLists: CanonicalCodeLists
    let receivedAt: String

    init(mapping: MappingFile, codeLists: CanonicalCodeLists, receivedAt: String) throws(MappingError) {
        rules = try mapping.rules(as: PINGFieldRule.self)
        let settings = try PINGMappingSettings(mapping: mapping)
        let slots = SlotResolver(settings: settings)
        let compiled = rules.map { rule in
            CompiledRule(
                rule: rule, slot: slots.ruleSlot(rule.entity + "." + rule.attribute),
                labelSlot: slots.ruleSlot(rule.entity + "." + rule.attribute + "name"),
                canonical: rule.canonical.map(CanonicalTarget.init),
                alongside: rule.alongside.map { (CanonicalTarget($0.path), $0.value) })
        }
        fieldRules = compiled.filter { $0.rule.type != .languageLevel }
        levelRules = compiled.filter { $0.rule.type == .languageLevel }
        refTarget = (try? FieldPath("ref")).map(CanonicalTarget.init)
        usesDrafts =
            refTarget?.field != nil
            && compiled.allSatisfy { rule in
                rule.canonical.map { $0.field != nil } ?? true
                    && rule.alongside.allSatisfy { alongside in
                        alongside.target.field != nil && PINGCanonicalValue(constant: alongside.value) != nil
                    }
            }
        self.settings = settings
        self.slots = slots
        mappingVersion = mapping.version
        self.codeLists = codeLists
        self.receivedAt = receivedAt
    }

    /// Decodes one row; throws the issues that stop the record.
    func decode(_ row: [(key: String, value: JSONValue)], shape: Shape, externalId: String?) throws(PINGRowIssues)
        -> Decoded
    {
        if usesDrafts, let decoded = try decode(row, shape: shape, externalId: externalId, asDraft: true) {
            return decoded
        }
        // The row is one the draft cannot stand for (a field the JSON form would refuse): the JSON form reports it.
        guard let decoded = try decode(row, shape: shape, externalId: externalId, asDraft: false) else {
            throw PINGRowIssues(issues: [FieldIssue(field: "record", rule: "cannot be decoded")])
        }
        return decoded
    }

    /// Decodes one row through a draft or through the JSON form; nil when a draft cannot stand for the row.
    private func decode(
        _ row: [(key: String, value: JSONValue)],
        shape: Shape,
        externalId: String?,
        asDraft: Bool
    ) throws(PINGRowIssues) -> Decoded? {
        var attributes = AttributeTable(row: row, slots: slots, shape: shape)
        var state = RowState(asDraft: asDraft)
        var issues: [FieldIssue] = []

        for compiled in fieldRules {
            guard let found = attributes.take(compiled.slot) else { continue }
            do {
                try apply(compiled, found, &attributes, &state)
            } catch {
                issues.append(FieldIssue(field: found.key, rule: error.rule))
            }
        }
        if state.language != nil {
            for compiled in levelRules {
                guard let found = attributes.take(compiled.slot), let code = found.value.scalarText else { continue }
                state.setLevel(compiled.rule.property ?? "", code)
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
        if let externalId, !externalId.isEmpty, externalId != state.id, let refTarget {
            try? state.set(.text(externalId), at: refTarget)
        }
        do {
            guard
                let person = try state.person(
                    extensions: extensions.isEmpty ? [:] : [settings.extensionNamespace: extensions],
                    provenance: provenance(id: state.id),
                    idScheme: settings.individualIdScheme
                )
            else { return nil }
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
        _ compiled: CompiledRule,
        _ found: (key: String, value: JSONValue),
        _ attributes: inout AttributeTable,
        _ state: inout RowState
    ) throws(RuleFailure) {
        // The rule is read in place through `compiled` (binding it to a constant would copy it whole).
        let value = found.value
        if case .null = value {
            _ = attributes.take(compiled.labelSlot)
            return
        }
        switch compiled.rule.type {
        case .text:
            guard let text = value.scalarText else { throw RuleFailure("must be text") }
            try state.set(.text(text), at: compiled.canonical)
            for (target, constant) in compiled.alongside { try state.set(constant, at: target) }
        case .date:
            guard case .string(let text) = value else { throw RuleFailure("must be an ISO date or date-time") }
            try state.set(.date(try Self.partialDate(text)), at: compiled.canonical)
        case .optionSet:
            let label = attributes.take(compiled.labelSlot)?.value.scalarText
            guard let list = compiled.rule.codeList else { return }
            let code: String
            if compiled.rule.byLabel {
                guard let label else {
                    throw RuleFailure("the option set's label (\(compiled.rule.attribute)name) is needed to map it")
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
            try state.set(.text(canonical), at: compiled.canonical)
        case .reference:
            let reference = try resolve(compiled, value, &attributes)
            guard let name = reference.name else { throw RuleFailure("the reference has no display name") }
            try state.set(.text(name), at: compiled.canonical)
            state.keep(reference, for: compiled.rule.attribute)
        case .country:
            let reference = try resolve(compiled, value, &attributes)
            guard let name = reference.name else { throw RuleFailure("the reference has no display name") }
            guard let country = countryCode(named: name) else {
                throw RuleFailure("\"\(name)\" has no entry in code list \(ISOCodeTables.countryListName)")
            }
            try state.set(.text(country), at: compiled.canonical)
            state.keep(reference, for: compiled.rule.attribute)
        case .language:
            let reference = try resolve(compiled, value, &attributes)
            guard let name = reference.name else { throw RuleFailure("the reference has no display name") }
            guard let code = languageCode(named: name) else {
                throw RuleFailure("\"\(name)\" has no entry in code list \(ISOCodeTables.languageListName)")
            }
            state.language = LanguageSkill(code: code)
            state.keep(reference, for: compiled.rule.attribute)
        case .specificNeed:
            let reference = try resolve(compiled, value, &attributes)
            guard let name = reference.name, let list = compiled.rule.codeList else {
                throw RuleFailure("the reference has no display name")
            }
            do {
                state.specificNeeds.append(try list.canonical(for: name))
            } catch {
                throw RuleFailure(error.description)
            }
            state.keep(reference, for: compiled.rule.attribute)
        case .locationLevel:
            let reference = try resolve(compiled, value, &attributes)
            state.levels.append(AdminLevel(level: compiled.rule.level ?? 0, code: reference.id, name: reference.name))
        case .languageLevel:
            break
        }
    }

    /// A reference as PING gives it: a `{Id, LogicalName, Name}` object, or a GUID whose display name is the
    /// sibling attribute `<attribute>name`, or (in older payloads) the display text alone.
    private func resolve(
        _ compiled: CompiledRule,
        _ value: JSONValue,
        _ attributes: inout AttributeTable
    ) throws(RuleFailure) -> PINGReference {
        let sibling = attributes.take(compiled.labelSlot)?.value.scalarText
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

/// Numbers the `entity.attribute` slots that rules name, and tells which slot a row key names.
///
/// WHY: a row used to find each rule's attribute by hashing slot strings built per key and per rule; rules
/// now hold slot numbers, and a key's slot is worked out once and remembered (keys repeat from row to row).
private final class SlotResolver {
    /// The slot a key names: a rule slot's number, or for an attribute no rule names, its `entity.attribute`.
    enum Slot {
        case rule(Int)
        case other(String)
    }

    private let settings: PINGMappingSettings
    private var ruleSlots: [String: Int] = [:]
    /// The slots of keys seen so far, by shape (which decides an unqualified key's entity).
    private var ingestionKeys: [String: Slot] = [:]
    private var retrievalKeys: [String: Slot] = [:]
    /// The keys of the previous row (of `previousShape`) and their slots, by position.
    private var previousRow: [(key: String, slot: Slot)] = []
    private var previousShape = PINGRowDecoder.Shape.ingestion
    /// Keys remembered at most, so that a document of ever new keys keeps memory flat.
    private static let keysRemembered = 4096

    init(settings: PINGMappingSettings) {
        self.settings = settings
    }

    /// How many rule slots there are.
    var ruleSlotCount: Int { ruleSlots.count }

    /// The number of a rule's slot, numbering it when it is new; only while the rules are compiled.
    func ruleSlot(_ slot: String) -> Int {
        if let number = ruleSlots[slot] { return number }
        ruleSlots[slot] = ruleSlots.count
        return ruleSlots.count - 1
    }

    /// The slot of the key at `position` in a row, read from the previous row when its key there was the same.
    ///
    /// WHY: rows of one document give their keys in the same order, and comparing a key with the previous
    /// row's costs a fraction of hashing it.
    func slot(for key: String, at position: Int, shape: PINGRowDecoder.Shape) -> Slot {
        if shape == previousShape, position < previousRow.count, previousRow[position].key == key {
            return previousRow[position].slot
        }
        let slot = slot(for: key, shape: shape)
        if shape != previousShape {
            previousRow.removeAll()
            previousShape = shape
        }
        if position < previousRow.count {
            previousRow[position] = (key, slot)
        } else if position == previousRow.count, position < Self.keysRemembered {
            previousRow.append((key, slot))
        }
        return slot
    }

    /// The slot a row key names: its last segment is the attribute, the segments before it name the entity
    /// (none: the individual in an ingestion payload, the retrieved record in a retrieval response).
    private func slot(for key: String, shape: PINGRowDecoder.Shape) -> Slot {
        if let slot = shape == .ingestion ? ingestionKeys[key] : retrievalKeys[key] { return slot }
        let segments = key.split(separator: ".", omittingEmptySubsequences: false)
        let attribute = String(segments.last ?? "")
        let qualifiers = segments.dropLast()
        let entity: String
        if qualifiers.isEmpty {
            entity = shape == .ingestion ? "individual" : "retrieved-record"
        } else {
            entity = settings.entity(qualifiers: qualifiers) ?? "unknown"
        }
        let name = entity + "." + attribute
        let slot = ruleSlots[name].map(Slot.rule) ?? .other(name)
        switch shape {
        case .ingestion where ingestionKeys.count < Self.keysRemembered: ingestionKeys[key] = slot
        case .retrieval where retrievalKeys.count < Self.keysRemembered: retrievalKeys[key] = slot
        default: break
        }
        return slot
    }
}

/// A row's attributes by entity and attribute name, with what has not been taken by a rule yet.
private struct AttributeTable {
    /// The attributes in their order in the row, the first of each slot only; nil once taken.
    private var attributes: [(key: String, value: JSONValue)?] = []
    /// For each rule slot, the position of its attribute in `attributes`, or -1.
    private var ruleSlots: [Int]
    /// The slots no rule names that the row gave already.
    private var otherSlots: Set<String> = []
    private var unclaimed: [(key: String, value: JSONValue)] = []
    /// Keys naming an attribute that an earlier key of the row already gave.
    private(set) var repeated: [String] = []

    init(row: [(key: String, value: JSONValue)], slots: SlotResolver, shape: PINGRowDecoder.Shape) {
        ruleSlots = Array(repeating: -1, count: slots.ruleSlotCount)
        attributes.reserveCapacity(row.count)
        for (position, (key, value)) in row.enumerated() {
            let isNew: Bool
            switch slots.slot(for: key, at: position, shape: shape) {
            case .rule(let number):
                isNew = ruleSlots[number] < 0
                if isNew { ruleSlots[number] = attributes.count }
            case .other(let name):
                isNew = otherSlots.insert(name).inserted
            }
            if isNew {
                attributes.append((key, value))
            } else {
                unclaimed.append((key, value))
                repeated.append(key)
            }
        }
    }

    /// Takes the attribute of rule slot `slot`, which no later take then finds.
    mutating func take(_ slot: Int) -> (key: String, value: JSONValue)? {
        let position = ruleSlots[slot]
        guard position >= 0 else { return nil }
        ruleSlots[slot] = -1
        defer { attributes[position] = nil }
        return attributes[position]
    }

    /// The attributes no rule took, in their order in the row.
    var remaining: [(key: String, value: JSONValue)] {
        attributes.compactMap { $0 } + unclaimed
    }
}

/// A canonical field as a rule names it: its path, and the draft field for it when there is one.
struct CanonicalTarget {
    let path: FieldPath
    let field: PINGPersonField?

    init(_ path: FieldPath) {
        self.path = path
        field = PINGPersonField(path)
    }
}

/// The person being built from one row: as a `PINGPersonDraft` when the mapping allows it, else as the JSON
/// form of a person, decoded at the end.
private struct RowState {
    let asDraft: Bool
    var draft = PINGPersonDraft()
    var json = JSONValue.object(["recordType": "person"])
    var language: LanguageSkill?
    var specificNeeds: [String] = []
    var levels: [AdminLevel] = []
    var referenceIds: [String: JSONValue] = [:]

    init(asDraft: Bool) {
        self.asDraft = asDraft
    }

    var id: String? {
        if asDraft { return draft.id }
        if case .object(let object) = json { return object["id"]?.scalarText }
        return nil
    }

    mutating func set(_ value: PINGCanonicalValue, at target: CanonicalTarget?) throws(RuleFailure) {
        guard let target else { return }
        if asDraft, let field = target.field {
            draft.set(value, at: field)
            return
        }
        let json: JSONValue
        switch value {
        case .text(let text): json = .string(text)
        case .flag(let flag): json = .bool(flag)
        case .date(let date): json = try PINGRowDecoder.json(date)
        }
        try set(json, at: target)
    }

    mutating func set(_ value: JSONValue, at target: CanonicalTarget) throws(RuleFailure) {
        if asDraft, let field = target.field, let value = PINGCanonicalValue(constant: value) {
            draft.set(value, at: field)
            return
        }
        do {
            try target.path.set(value, in: &json)
        } catch {
            throw RuleFailure(error.description)
        }
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

    /// The row's person; nil when it was built as a draft that cannot stand for the row.
    func person(extensions: [String: [String: JSONValue]], provenance: Provenance, idScheme: String) throws
        -> Person?
    {
        var person: Person
        if asDraft {
            guard let drafted = draft.person() else { return nil }
            person = drafted
        } else {
            person = try json.decode(as: Person.self)
        }
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
