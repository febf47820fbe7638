import PrimesModel

/// One rule of a PING mapping file (`Mappings/progres/ping-v3.yaml`): a Dynamics attribute, the canonical
/// field it fills, and the ingestion field name that carries it back.
public struct PINGFieldRule: FieldRuleKind {
    /// How an attribute's value becomes a canonical value.
    public enum ValueType: String, Sendable {
        /// Text as given.
        case text
        /// An ISO date or date-time, read at day precision.
        case date
        /// A Dynamics option-set integer, through a code list (or its display label, with `byLabel`).
        case optionSet
        /// A `{Id, LogicalName, Name}` reference whose display name is the canonical value.
        case reference
        /// A reference to a country, by its English name in ISO 3166-1.
        case country
        /// A reference to a language whose display name is its ISO 639-3 inverted name.
        case language
        /// A skill level of the language of the same row, kept as the option-set code given.
        case languageLevel
        /// A reference to a specific-needs category or sub-category, by its display name.
        case specificNeed
        /// A reference to an administrative level from 1 to 6: its id is the level's code, its name the name.
        case locationLevel
    }

    public let canonical: FieldPath?
    /// The rule's identity in the mapping file, for messages.
    public let key: String
    public let entity: String
    public let attribute: String
    /// The ingestion `Fields[].Name`; nil makes the rule read-only.
    public let field: String?
    public let type: ValueType
    public let codeList: CodeListMapping?
    public let byLabel: Bool
    public let level: Int?
    public let property: String?
    public let logicalName: String?
    /// For specificNeed: `category` (CR) or `subcategory` (CR-AF).
    public let part: String?
    /// Fields beside the canonical one set when the attribute has a value: `alongside: {primary: "true"}` on
    /// `contacts[kind=phone].value` marks PING's primary phone as primary.
    public let alongside: [(path: FieldPath, value: JSONValue)]

    public init(rule: FieldRule, mapping: MappingFile) throws(MappingError) {
        canonical = rule.canonical
        key = rule.key
        entity = try rule.string("entity") ?? "individual"
        attribute = try rule.requiredString("attribute")
        field = try rule.string("field")
        let typeName = try rule.string("type") ?? ValueType.text.rawValue
        guard let type = ValueType(rawValue: typeName) else { throw rule.invalid("unknown type \(typeName)") }
        self.type = type
        codeList = try rule.string("codeList").map { (name) throws(MappingError) in try mapping.codeList(name) }
        byLabel = try rule.bool("byLabel")
        property = try rule.string("property")
        logicalName = try rule.string("logicalName")
        part = try rule.string("part")
        var alongside: [(path: FieldPath, value: JSONValue)] = []
        for (key, node) in rule["alongside"]?.pairs ?? [] {
            guard let text = node.scalar, let canonical = rule.canonical?.description,
                let parent = canonical.lastIndex(of: "."),
                let path = try? FieldPath(String(canonical[..<parent]) + "." + key)
            else { throw rule.invalid("`alongside` needs a canonical path with a parent and text values") }
            let value: JSONValue = text == "true" ? .bool(true) : text == "false" ? .bool(false) : .string(text)
            alongside.append((path, value))
        }
        self.alongside = alongside
        if let text = try rule.string("level") {
            guard let level = Int(text), (1...6).contains(level) else { throw rule.invalid("`level` must be 1 to 6") }
            self.level = level
        } else {
            level = nil
        }
        try check(rule)
    }

    /// The canonical field the rule fills, as messages name it.
    /// The top-level canonical field the rule reads or writes: `name` for `name.given`, `location` for a
    /// location level.
    public var topLevelField: String {
        FieldPath.root(of: canonicalName)
    }

    public var canonicalName: String {
        if let canonical { return canonical.description }
        switch type {
        case .language: return "languages[0].code"
        case .languageLevel: return "languages[0].\(property ?? "")"
        case .specificNeed: return "specificNeeds[0]"
        case .locationLevel: return "location.levels[level=\(level ?? 0)]"
        default: return key
        }
    }

    private func check(_ rule: FieldRule) throws(MappingError) {
        switch type {
        case .text, .date, .reference, .country:
            if canonical == nil { throw rule.invalid("a \(type.rawValue) rule needs `canonical`") }
        case .optionSet:
            if canonical == nil || codeList == nil {
                throw rule.invalid("an optionSet rule needs `canonical` and `codeList`")
            }
        case .specificNeed:
            guard codeList != nil, part == "category" || part == "subcategory" else {
                throw rule.invalid("a specificNeed rule needs `codeList` and `part`: category or subcategory")
            }
        case .locationLevel:
            if level == nil { throw rule.invalid("a locationLevel rule needs `level`") }
        case .languageLevel:
            guard let property, ["read", "write", "speak", "understand"].contains(property) else {
                throw rule.invalid("a languageLevel rule needs `property`: read, write, speak or understand")
            }
        case .language:
            break
        }
    }
}

/// The PING-specific settings of a mapping file.
public struct PINGMappingSettings: Sendable {
    public let extensionNamespace: String
    public let individualIdScheme: String
    public let groupIdScheme: String
    /// Entity name → the key segments that name it in retrieval keys.
    public let entityAliases: [String: [String]]
    public let shippingProcessId: String
    public let interopId: String

    public init(mapping: MappingFile) throws(MappingError) {
        extensionNamespace = mapping.setting("extensionNamespace") ?? "unhcr.progres"
        individualIdScheme = mapping.setting("individualIdScheme") ?? "unhcr.progres.individual"
        groupIdScheme = mapping.setting("groupIdScheme") ?? "unhcr.progres.group"
        var aliases: [String: [String]] = [:]
        for (entity, node) in mapping.settings?["entities"]?.pairs ?? [] {
            guard let items = node.items?.compactMap(\.scalar) else {
                throw .invalid(file: mapping.path, line: node.line, reason: "entities.\(entity) must be a list")
            }
            aliases[entity] = items
        }
        if aliases["individual"] == nil { aliases["individual"] = ["progres_individual"] }
        entityAliases = aliases
        shippingProcessId = mapping.setting("shippingProcessId") ?? ""
        interopId = mapping.setting("interopId") ?? ""
    }

    /// The entity a retrieval key's qualifier segments name, or nil when they name none.
    public func entity(qualifiers: ArraySlice<Substring>) -> String? {
        for qualifier in qualifiers {
            for (entity, names) in entityAliases where names.contains(String(qualifier)) { return entity }
        }
        return nil
    }
}
