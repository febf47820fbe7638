import PrimesModel

/// A mapping file: how one format's fields correspond to canonical fields, loaded from YAML under `Mappings/`.
///
/// ```yaml
/// mapping: scope-exchange-v1          # the mapping's name
/// version: "1"
/// formats: [scope-csv, scope-xml]     # the formats it serves
/// extends: scope-exchange-v1.yaml     # optional: a base mapping this one overrides
/// codeLists:                          # name → code-list file, relative to this file
///   sex: codes/sex.yaml
/// settings: {…}                       # format-specific options, read by the adapter
/// fields:                             # one rule per canonical field
///   - canonical: name.family
///     column: last_name               # format-specific keys: column, xpath, attribute, parser, …
///     required: true
/// ```
/// The engine knows the shape; each adapter gives meaning to its own keys through `FieldRuleKind`.
public struct MappingFile: Sendable {
    public let name: String
    public let version: String
    public let formats: [String]
    /// The file this mapping was read from (the most derived one, when it extends another).
    public let path: String
    public let settings: YAMLNode?
    public let fields: [FieldRule]
    public let codeLists: [String: CodeListMapping]

    public init(
        name: String,
        version: String,
        formats: [String],
        path: String,
        settings: YAMLNode?,
        fields: [FieldRule],
        codeLists: [String: CodeListMapping]
    ) {
        self.name = name
        self.version = version
        self.formats = formats
        self.path = path
        self.settings = settings
        self.fields = fields
        self.codeLists = codeLists
    }

    /// The code list called `name` in this mapping, or an error naming the mapping file.
    public func codeList(_ name: String) throws(MappingError) -> CodeListMapping {
        guard let list = codeLists[name] else {
            throw .invalid(file: path, line: 0, reason: "no code list named \(name) in codeLists")
        }
        return list
    }

    /// A text setting, such as the XML root element or the CSV delimiter.
    public func setting(_ key: String) -> String? {
        settings?[key]?.scalar
    }

    /// The field rules interpreted as an adapter's own rule kind.
    public func rules<Kind: FieldRuleKind>(as kind: Kind.Type) throws(MappingError) -> [Kind] {
        var rules: [Kind] = []
        for rule in fields { rules.append(try Kind(rule: rule, mapping: self)) }
        return rules
    }

    /// This mapping with `overlay`'s fields, code lists and settings replacing or adding to its own.
    ///
    /// A field rule replaces the base rule with the same `key` (its `id`, else its canonical path), so an
    /// instance's mapping file holds only what differs from the seed.
    public func overlaid(with overlay: MappingFile) -> MappingFile {
        var fields = self.fields
        for rule in overlay.fields {
            if let position = fields.firstIndex(where: { $0.key == rule.key }) {
                fields[position] = rule
            } else {
                fields.append(rule)
            }
        }
        var settingPairs = settings?.pairs ?? []
        for (key, value) in overlay.settings?.pairs ?? [] {
            settingPairs.removeAll { $0.key == key }
            settingPairs.append((key, value))
        }
        return MappingFile(
            name: overlay.name,
            version: overlay.version,
            formats: overlay.formats.isEmpty ? formats : overlay.formats,
            path: overlay.path,
            settings: settingPairs.isEmpty ? nil : .mapping(settingPairs, line: overlay.settings?.line ?? 0),
            fields: fields,
            codeLists: codeLists.merging(overlay.codeLists) { _, new in new }
        )
    }
}

/// One rule of a mapping file: a canonical field and the format-specific keys that say where it lives.
public struct FieldRule: Sendable {
    /// The canonical field, such as `name.family`; nil for a rule that fills no canonical field.
    public let canonical: FieldPath?
    /// The rule's identity when an overlay replaces it: its `id` key, else its canonical path.
    public let key: String
    /// Every key of the rule, as written.
    public let properties: [(key: String, value: YAMLNode)]
    public let file: String
    public let line: Int

    public init(node: YAMLNode, file: String) throws(MappingError) {
        guard let pairs = node.pairs else {
            throw .invalid(file: file, line: node.line, reason: "a field rule is a mapping of keys")
        }
        var canonical: FieldPath?
        if let text = node["canonical"]?.scalar {
            do {
                canonical = try FieldPath(text)
            } catch {
                throw .invalid(file: file, line: node.line, reason: error.description)
            }
        }
        guard let key = node["id"]?.scalar ?? canonical?.description else {
            throw .invalid(file: file, line: node.line, reason: "a field rule needs `canonical` or `id`")
        }
        self.canonical = canonical
        self.key = key
        self.properties = pairs
        self.file = file
        self.line = node.line
    }

    public subscript(key: String) -> YAMLNode? {
        properties.first { $0.key == key }?.value
    }

    /// A text key of the rule, or nil when absent.
    public func string(_ key: String) throws(MappingError) -> String? {
        guard let node = self[key] else { return nil }
        guard let text = node.scalar else { throw invalid("`\(key)` must be text") }
        return text
    }

    /// A text key the rule must have.
    public func requiredString(_ key: String) throws(MappingError) -> String {
        guard let text = try string(key) else { throw invalid("the rule needs `\(key)`") }
        return text
    }

    /// A yes/no key, false when absent.
    public func bool(_ key: String) throws(MappingError) -> Bool {
        guard let text = try string(key) else { return false }
        switch text {
        case "true", "yes": return true
        case "false", "no": return false
        default: throw invalid("`\(key)` must be true or false")
        }
    }

    /// An error about this rule, naming its file and line.
    public func invalid(_ reason: String) -> MappingError {
        .invalid(file: file, line: line, reason: "\(key): \(reason)")
    }
}

/// An adapter's own reading of a field rule (a CSV column, an XPath, a JSON attribute).
public protocol FieldRuleKind: Sendable {
    init(rule: FieldRule, mapping: MappingFile) throws(MappingError)
}
