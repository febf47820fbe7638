import Foundation
import PrimesModel

/// Turns a canonical person into one item of a PING ingestion payload, `{ExternalId, Attachments, Fields}`,
/// with the field names and option-set values of the mapping file.
///
/// The writer and the PING client share it, so a file written by `convert` and a batch sent by the gateway
/// carry the same fields.
public struct PINGIngestionEncoder: Sendable {
    /// One encoded person: the item, and the canonical fields it could not carry.
    public struct Item: Sendable {
        public var externalId: String
        public var fields: [(name: String, value: JSONValue)]
        public var notHeld: [String]

        /// The item as PING expects it.
        public var json: JSONValue {
            .object([
                "ExternalId": .string(externalId),
                "Attachments": .array([]),
                "Fields": .array(fields.map { .object(["Name": .string($0.name), "Value": $0.value]) }),
            ])
        }
    }

    /// A rule that writes an ingestion field, with what each person needs of it worked out once.
    ///
    /// WHY: a class, so that walking the rules for every person passes a reference instead of copying each
    /// rule's many strings and lists, which was a third of the cost of encoding a person.
    private final class WrittenRule: Sendable {
        let rule: PINGFieldRule
        /// The ingestion `Fields[].Name`.
        let name: String
        /// The rule's canonical field when it is read straight from a `Person`.
        let personField: PINGPersonField?
        let topLevelField: String

        init(rule: PINGFieldRule, name: String) {
            self.rule = rule
            self.name = name
            personField = rule.canonical.flatMap(PINGPersonField.init)
            topLevelField = rule.topLevelField
        }

        // The rule's parts the encoding reads, read in place (binding `rule` to a constant copies it whole).
        var type: PINGFieldRule.ValueType { rule.type }
        var canonical: FieldPath? { rule.canonical }
        var canonicalName: String { rule.canonicalName }
        var key: String { rule.key }
        var attribute: String { rule.attribute }
        var codeList: CodeListMapping? { rule.codeList }
        var level: Int? { rule.level }
        var property: String? { rule.property }
        var logicalName: String? { rule.logicalName }
        var part: String? { rule.part }
    }

    let rules: [PINGFieldRule]
    /// The rules that write a field, in the order of `rules`.
    private let writtenRules: [WrittenRule]
    /// The field names of the specific-need rules.
    private let specificNeedNames: Set<String>
    /// Whether some written rule names a canonical path read only from the person's JSON form.
    private let needsJSONForm: Bool
    public let settings: PINGMappingSettings
    let codeLists: CanonicalCodeLists
    /// The top-level canonical fields some ingestion field carries (`name`, `contacts`, `location`, …).
    public let writtenFields: Set<String>
    /// The canonical field that keys an individual in PING (its `progres_id`), sent with every update.
    public static let keyField = "id"

    public init(mapping: MappingFile, codeLists: CanonicalCodeLists) throws(MappingError) {
        rules = try mapping.rules(as: PINGFieldRule.self)
        writtenRules = rules.compactMap { rule in rule.field.map { WrittenRule(rule: rule, name: $0) } }
        needsJSONForm = writtenRules.contains { $0.rule.canonical != nil && $0.personField == nil }
        specificNeedNames = Set(writtenRules.filter { $0.rule.type == .specificNeed }.map(\.name))
        settings = try PINGMappingSettings(mapping: mapping)
        self.codeLists = codeLists
        writtenFields = Set(rules.filter { $0.field != nil }.map(\.topLevelField))
    }

    /// The ingestion item for `person`, or a rejection naming the canonical field and the rule it breaks.
    ///
    /// - Parameter onlyFields: for a partial update (a status update, a decision taken in another system),
    ///   the top-level canonical fields to send; the key field is always sent. Nil sends every mapped field.
    public func item(for person: Person, at location: RecordLocation, onlyFields: Set<String>? = nil)
        throws(RecordRejection) -> Item
    {
        var json = JSONValue.null
        // WHY: encoding every person to JSON and parsing it back was most of the cost of writing; the fields the
        // mapping names are read from the person itself, and the JSON form is made only for other paths or for
        // a person whose encoding might fail (so that the rejection stays what it was).
        if needsJSONForm || !PINGEncodingCheck.encodesPlainly(person) {
            do {
                // Foundation's JSONDecoder builds a JSONValue slowly (a failed attempt per type); the PING parser
                // reads the encoded person in a single pass.
                let bytes = Array(try JSONEncoder().encode(person))
                json = try JSONStreamParser(source: MemoryInput(bytes, name: "person"), chunkSize: max(bytes.count, 1))
                    .value()
            } catch {
                throw RecordRejection(location: location, field: "record", rule: "cannot be encoded")
            }
        }
        var fields: [(name: String, value: JSONValue)] = []
        var notHeld: [String] = []
        var issues: [FieldIssue] = []
        let references = person.extensions[settings.extensionNamespace] ?? [:]

        for written in writtenRules {
            if let onlyFields, written.topLevelField != Self.keyField, !onlyFields.contains(written.topLevelField) {
                continue
            }
            let given: PINGGivenValue?
            if let personField = written.personField {
                given = PINGGivenValue(personField, of: person)
            } else {
                given = written.canonical.flatMap { $0.value(in: json) }.map(PINGGivenValue.json)
            }
            do {
                if let value = try value(
                    of: written, given: given, in: person, references: references, notHeld: &notHeld)
                {
                    fields.append((written.name, value))
                }
            } catch {
                issues.append(FieldIssue(field: written.canonicalName, rule: error.rule))
            }
        }
        guard issues.isEmpty else { throw RecordRejection(location: location, issues: issues) }

        notHeld += Self.uncovered(person, idScheme: settings.individualIdScheme)
        if person.languages.count > 1 { notHeld.append("languages[1...]") }
        if let onlyFields {
            notHeld = notHeld.filter { field in onlyFields.contains(FieldPath.root(of: field)) }
        }
        if !person.specificNeeds.isEmpty {
            let needsWritten = fields.contains { specificNeedNames.contains($0.name) }
            if person.specificNeeds.count > 1 || !needsWritten {
                notHeld.append(needsWritten ? "specificNeeds[1...]" : "specificNeeds")
            }
        }
        return Item(externalId: person.ref ?? person.id ?? "", fields: fields, notHeld: notHeld)
    }

    /// The part of `person` PING holds once an ingestion of it is applied, in the form a retrieval gives it
    /// back: each written field's canonical value, with the constants the mapping sets beside it on reading
    /// (`alongside`), and of the lists PING keeps one entry of (languages, specific needs) the first.
    ///
    /// - Parameter onlyFields: as for `item(for:at:onlyFields:)`.
    public func heldView(of person: Person, onlyFields: Set<String>?) -> Person? {
        guard let json = try? JSONValue(encoding: CanonicalRecord.person(person)) else { return nil }
        var view: JSONValue = .object(["recordType": "person"])
        for rule in rules where rule.field != nil {
            let field = rule.topLevelField
            if let onlyFields, field != Self.keyField, !onlyFields.contains(field) { continue }
            switch rule.type {
            case .language, .languageLevel, .specificNeed:
                if let first = (try? FieldPath(field + "[0]"))?.value(in: json), let path = try? FieldPath(field) {
                    try? path.set(.array([first]), in: &view)
                }
            case .locationLevel:
                if let path = try? FieldPath("location.levels"), let levels = path.value(in: json) {
                    try? path.set(levels, in: &view)
                }
            case .text, .date, .optionSet, .reference, .country:
                guard let path = rule.canonical, let value = path.value(in: json) else { continue }
                try? path.set(value, in: &view)
                if rule.type == .text {
                    for (path, constant) in rule.alongside { try? path.set(constant, in: &view) }
                }
            }
        }
        guard case .person(let held)? = try? view.decode(as: CanonicalRecord.self) else { return nil }
        return held
    }

    // MARK: - Values

    private func value(
        of rule: WrittenRule,
        given: PINGGivenValue?,
        in person: Person,
        references: [String: JSONValue],
        notHeld: inout [String]
    ) throws(RuleFailure) -> JSONValue? {
        switch rule.type {
        case .text:
            return given?.scalarText.map(JSONValue.string)
        case .date:
            guard let given else { return nil }
            guard let date = given.partialDate else { throw RuleFailure("not a partial date") }
            guard date.precision == .day else {
                // PING takes a full date; padding a year or a month would invent a day.
                notHeld.append(rule.canonical?.description ?? rule.key)
                return nil
            }
            return .string(date.isoText)
        case .optionSet:
            guard let code = given?.scalarText, let list = rule.codeList else { return nil }
            do {
                let optionValue = try list.code(for: code)
                return Int(optionValue).map { .number(Double($0)) } ?? .string(optionValue)
            } catch {
                throw RuleFailure(error.description)
            }
        case .reference:
            guard let name = given?.scalarText else { return nil }
            return reference(rule, name: name, references: references)
        case .country:
            guard let code = given?.scalarText else { return nil }
            guard let name = codeLists[ISOCodeTables.countryListName]?.entry(code)?.label else {
                throw RuleFailure("\"\(code)\" has no entry in code list \(ISOCodeTables.countryListName)")
            }
            return reference(rule, name: name, references: references)
        case .language:
            guard let language = person.languages.first else { return nil }
            guard let entry = codeLists[ISOCodeTables.languageListName]?.entry(language.code) else {
                throw RuleFailure("\"\(language.code)\" has no entry in code list \(ISOCodeTables.languageListName)")
            }
            let name = entry.attributes["inverted_name"] ?? entry.label ?? language.code
            return reference(rule, name: name, references: references)
        case .languageLevel:
            guard let language = person.languages.first else { return nil }
            let level: String? =
                switch rule.property {
                case "read": language.read
                case "write": language.write
                case "speak": language.speak
                case "understand": language.understand
                default: nil
                }
            return level.map { Int($0).map { JSONValue.number(Double($0)) } ?? .string($0) }
        case .specificNeed:
            return try specificNeed(rule, person: person, references: references)
        case .locationLevel:
            guard let level = person.location?.levels.first(where: { $0.level == rule.level }) else { return nil }
            var object: [String: JSONValue] = [:]
            if let code = level.code { object["Id"] = .string(code) }
            if let logicalName = rule.logicalName { object["LogicalName"] = .string(logicalName) }
            if let name = level.name { object["Name"] = .string(name) }
            return .object(object)
        }
    }

    /// The first specific need as a category reference, or its sub-category when the code has one (`CR-AF`).
    private func specificNeed(
        _ rule: WrittenRule,
        person: Person,
        references: [String: JSONValue]
    ) throws(RuleFailure) -> JSONValue? {
        guard let need = person.specificNeeds.first, let list = rule.codeList else { return nil }
        let isCategoryRule = rule.part != "subcategory"
        let category = String(need.prefix { $0 != "-" })
        let code: String
        if isCategoryRule {
            code = category
        } else {
            guard need != category else { return nil }
            code = need
        }
        do {
            return reference(rule, name: try list.code(for: code), references: references)
        } catch {
            throw RuleFailure(error.description)
        }
    }

    private func reference(_ rule: WrittenRule, name: String, references: [String: JSONValue]) -> JSONValue {
        var object: [String: JSONValue] = ["Name": .string(name)]
        if case .object(let kept)? = references[rule.attribute], let id = kept["Id"] { object["Id"] = id }
        if let logicalName = rule.logicalName { object["LogicalName"] = .string(logicalName) }
        return .object(object)
    }

    /// Canonical fields of `person` that no ingestion field carries, by path.
    private static func uncovered(_ person: Person, idScheme: String) -> [String] {
        var fields: [String] = []
        if let name = person.name {
            if name.birthName != nil { fields.append("name.birthName") }
            if !name.aliases.isEmpty { fields.append("name.aliases") }
        }
        if person.identifiers.contains(where: { $0.scheme != idScheme }) { fields.append("identifiers") }
        if !person.otherNames.isEmpty { fields.append("otherNames") }
        if person.deathDate != nil { fields.append("deathDate") }
        if person.birthPlace != nil { fields.append("birthPlace") }
        if !person.nationalities.isEmpty { fields.append("nationalities") }
        if person.maritalStatus != nil { fields.append("maritalStatus") }
        if person.populationType != nil { fields.append("populationType") }
        if person.contacts.contains(where: { $0.kind != "phone" }) { fields.append("contacts") }
        if person.location?.address != nil { fields.append("location.address") }
        if person.registrationDate != nil { fields.append("registrationDate") }
        if person.arrivalDate != nil { fields.append("arrivalDate") }
        if let group = person.group {
            if group.relationshipToFocalPoint != nil { fields.append("group.relationshipToFocalPoint") }
            if group.focalPoint || group.principalRecipient || group.alternateRecipient { fields.append("group roles") }
        }
        if !person.relationships.isEmpty { fields.append("relationships") }
        if !person.events.isEmpty { fields.append("events") }
        if person.consent != nil { fields.append("consent") }
        if !person.extensions.isEmpty { fields.append("extensions") }
        return fields
    }
}
