import PrimesModel

/// The SCOPE layout as one mapping file describes it: the column (CSV) and element (XML) of each field, in the
/// order they are written, the code lists and the settings.
///
/// Loaded from `Mappings/scope/scope-exchange-v1.yaml`, or from the operator's copy given with `--mapping`.
struct ScopeMapping: Sendable {
    /// Where one layout field lives.
    struct Column: Sendable {
        var field: ScopeField
        var column: String
        var element: String
        var required: Bool
    }

    let name: String
    let path: String
    /// The mapped fields in the mapping file's order, which is the order they are written in.
    let columns: [Column]
    /// The same columns by `ScopeField.rawValue`; nil for a field the mapping leaves out.
    let byField: [Column?]
    let residenceStatus: CodeListMapping
    let vulnerabilityRating: CodeListMapping
    let householdRole: CodeListMapping
    let householdRoleFemale: CodeListMapping
    let householdRoleMale: CodeListMapping
    let sex: CodeListMapping
    let recipientRole: CodeListMapping
    /// The administrative level (1 to 6) the `location` column's code belongs to.
    let locationLevel: Int
    /// The identifier scheme of `beneficiary_unique_id` (the partner's member key) and of `scope_id`.
    let beneficiaryScheme: String
    let scopeScheme: String
    /// `provenance.system` of the records read.
    let sourceSystem: String
    /// The extension namespace that keeps unmapped columns and a household role the canonical model flattens.
    let extensionNamespace: String
    let maximumLineLength: Int
    /// The most member rows one household may have; the reader holds one household's rows in memory.
    let maximumHouseholdRows: Int
    let neutralizesFormulas: Bool
    let xmlNamespace: String

    init(_ mapping: MappingFile) throws(MappingError) {
        name = mapping.name
        path = mapping.path
        let rules = try mapping.rules(as: ScopeFieldRule.self)
        var byField = [Column?](repeating: nil, count: ScopeField.allCases.count)
        for rule in rules {
            guard byField[rule.column.field.rawValue] == nil else {
                throw .invalid(file: mapping.path, line: 0, reason: "\(rule.column.field.layoutName) is mapped twice")
            }
            byField[rule.column.field.rawValue] = rule.column
        }
        for field in ScopeField.allCases where field.isStructural && byField[field.rawValue] == nil {
            throw .invalid(file: mapping.path, line: 0, reason: "the SCOPE layout needs a rule for \(field.layoutName)")
        }
        columns = rules.map(\.column)
        self.byField = byField

        residenceStatus = try mapping.codeList("residence-status")
        vulnerabilityRating = try mapping.codeList("vulnerability-rating")
        householdRole = try mapping.codeList("household-role")
        householdRoleFemale = try mapping.codeList("household-role-female")
        householdRoleMale = try mapping.codeList("household-role-male")
        sex = try mapping.codeList("sex")
        recipientRole = try mapping.codeList("recipient-role")

        func number(_ key: String, default value: Int, in range: ClosedRange<Int>) throws(MappingError) -> Int {
            guard let text = mapping.setting(key) else { return value }
            guard let number = Int(text), range.contains(number) else {
                throw .invalid(file: mapping.path, line: 0, reason: "setting \(key) must be a number in \(range)")
            }
            return number
        }
        locationLevel = try number("locationLevel", default: 2, in: 1...6)
        maximumLineLength = try number("maximumLineLength", default: 1024 * 1024, in: 1024...(1 << 30))
        maximumHouseholdRows = try number("maximumHouseholdRows", default: 10_000, in: 1...1_000_000)
        beneficiaryScheme = mapping.setting("beneficiaryScheme") ?? "unhcr.progres.individual"
        scopeScheme = mapping.setting("scopeScheme") ?? "wfp.scope.member"
        sourceSystem = mapping.setting("sourceSystem") ?? "wfp.scope"
        extensionNamespace = mapping.setting("extensionNamespace") ?? "wfp.scope"
        neutralizesFormulas = mapping.setting("neutralizeFormulas") != "false"
        xmlNamespace = mapping.setting("xmlNamespace") ?? "urn:primes-gateway:scope-exchange:1"
    }

    /// The mapping a run uses for `format`: `--mapping` when it names the format, else the format's default.
    static func load(for format: RecordFormat, in context: ConversionContext) throws -> ScopeMapping {
        try ScopeMapping(context.mapping(for: format))
    }

    subscript(field: ScopeField) -> Column? {
        byField[field.rawValue]
    }

    /// The column name to use in messages about `field`.
    func columnName(_ field: ScopeField) -> String {
        self[field]?.column ?? field.layoutName
    }

    /// The SCOPE household role of a member, from the canonical relationship and, for the roles SCOPE
    /// splits by sex (son and daughter, brother and sister), the person's sex.
    func householdRoleCode(relationship: String, sex: String?) -> String? {
        let bySex = sex == "female" ? householdRoleFemale : sex == "male" ? householdRoleMale : nil
        if let code = try? bySex?.code(for: relationship) { return code }
        return try? householdRole.code(for: relationship)
    }
}

/// A field rule of a SCOPE mapping: `id` names the layout field, `column` and `element` where it lives.
struct ScopeFieldRule: FieldRuleKind {
    let column: ScopeMapping.Column

    init(rule: FieldRule, mapping: MappingFile) throws(MappingError) {
        guard let field = ScopeField(layoutName: rule.key) else {
            throw rule.invalid("not a field of the SCOPE exchange layout v1 (the rule's `id` names the field)")
        }
        let column = try rule.string("column") ?? field.layoutName
        self.column = ScopeMapping.Column(
            field: field,
            column: column,
            element: try rule.string("element") ?? column,
            required: try rule.bool("required") || field.isStructural
        )
    }
}
