import Foundation
import PrimesModel

/// One field rule of a Primero mapping file: a case key, its type in Primero's schema, and where it goes.
public struct PrimeroFieldRule: FieldRuleKind {
    /// How a value looks in Primero's strict schema, which decides how it is read and written.
    public enum ValueType: String, Sendable, CaseIterable {
        case text, integer, boolean, date, dateTime, lookup, lookups
        /// The case's own `id`, a UUID the gateway derives.
        case caseId
        /// A location code at one administrative level.
        case adminCode
        /// The `family_details_section` subform, as canonical relationships.
        case family
    }

    public let key: String
    /// The canonical field; nil keeps the Primero field, typed, in `extensions["unicef.primero"]`.
    public let canonical: FieldPath?
    /// The case's key in Primero.
    public let field: String
    public let type: ValueType
    public let codeList: CodeListMapping?
    /// A boolean case key that says the date is estimated (`estimated` beside `date_of_birth`).
    public let estimatedField: String?
    /// Server-computed: read, never written.
    public let readOnly: Bool
    /// A lookup value the code list lacks is kept in extensions with a warning instead of refusing the record.
    public let keepsUnmapped: Bool
    /// Written from a canonical list, the rule takes only the values its code list maps.
    public let partial: Bool
    /// The administrative level of an `adminCode` field.
    public let level: Int?
    /// The subform's own fields besides `unique_id` and the relation, with their types.
    public let rowFields: [(name: String, type: ValueType)]

    public init(rule: FieldRule, mapping: MappingFile) throws(MappingError) {
        key = rule.key
        canonical = rule.canonical
        field = try rule.requiredString("field")
        let typeName = try rule.requiredString("type")
        guard let type = ValueType(rawValue: typeName) else {
            throw rule.invalid(
                "unknown type \(typeName) (known: \(ValueType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self.type = type
        codeList = try rule.string("codeList").map { (name) throws(MappingError) in try mapping.codeList(name) }
        if [.lookup, .family].contains(type) && canonical != nil && codeList == nil {
            throw rule.invalid("a \(type.rawValue) rule with a canonical field needs `codeList`")
        }
        estimatedField = try rule.string("estimatedField")
        switch try rule.string("direction") {
        case nil, "both": readOnly = false
        case "read": readOnly = true
        default: throw rule.invalid("`direction` must be read or both")
        }
        switch try rule.string("unmapped") {
        case nil, "refuse": keepsUnmapped = false
        case "extension": keepsUnmapped = true
        default: throw rule.invalid("`unmapped` must be refuse or extension")
        }
        partial = try rule.bool("partial")
        if let levelText = try rule.string("level") {
            guard let level = Int(levelText), (1...6).contains(level) else {
                throw rule.invalid("`level` must be 1 to 6")
            }
            self.level = level
        } else {
            level = nil
        }
        if type == .adminCode && level == nil { throw rule.invalid("an adminCode rule needs `level`") }
        var rowFields: [(name: String, type: ValueType)] = []
        for (name, node) in rule["rowFields"]?.pairs ?? [] {
            guard let text = node.scalar, let rowType = ValueType(rawValue: text) else {
                throw rule.invalid("row field \(name) needs a type")
            }
            rowFields.append((name, rowType))
        }
        self.rowFields = rowFields
    }
}

/// A Primero mapping file read for the adapter and the client: the rules and the instance's settings.
public struct PrimeroMapping: Sendable {
    public let file: MappingFile
    public let rules: [PrimeroFieldRule]
    /// The module a created case belongs to (`primeromodule-cp`); its forms limit the writable fields.
    public let module: String
    /// The namespace of case ids: case id = UUIDv5(namespace, proGres individual id).
    public let caseIdNamespace: UUID
    /// Keys the server computes: kept in extensions on reading, never written.
    public let readOnlyFields: Set<String>
    /// Keys a PATCH may not carry.
    public let updateForbidden: Set<String>
    /// Whether a person whose `unicef.primero` extensions hold a key the mapping does not know is refused
    /// (`unknownExtensionFields: refuse`, the default) rather than sent without it and reported.
    public let refusesUnknownExtensions: Bool

    public init(_ file: MappingFile) throws(MappingError) {
        self.file = file
        rules = try file.rules(as: PrimeroFieldRule.self)
        guard let module = file.setting("module") else {
            throw .invalid(file: file.path, line: 0, reason: "settings need `module` (primeromodule-cp, …)")
        }
        guard let namespaceText = file.setting("caseIdNamespace"), let namespace = UUID(uuidString: namespaceText)
        else {
            throw .invalid(file: file.path, line: 0, reason: "settings need `caseIdNamespace`, a UUID")
        }
        self.module = module
        caseIdNamespace = namespace
        readOnlyFields = Set(file.settings?["readOnlyFields"]?.items?.compactMap(\.scalar) ?? [])
        updateForbidden = Set(file.settings?["updateForbidden"]?.items?.compactMap(\.scalar) ?? [])
        switch file.setting("unknownExtensionFields") {
        case nil, "refuse": refusesUnknownExtensions = true
        case "report": refusesUnknownExtensions = false
        default:
            throw .invalid(file: file.path, line: 0, reason: "`unknownExtensionFields` must be refuse or report")
        }
    }

    /// The case id the gateway gives the person with this proGres individual id.
    public func caseId(forIndividual individualId: String) -> String {
        NameBasedUUID.version5(namespace: caseIdNamespace, name: individualId)
    }

    /// The mapping the run uses for `primero-json`, checked against the canonical code lists.
    public static func load(_ context: ConversionContext) throws -> PrimeroMapping {
        let file = try context.mapping(for: PrimeroFormat.format)
        try context.mappings.checkTargets(of: file, against: context.codeLists)
        return try PrimeroMapping(file)
    }
}
