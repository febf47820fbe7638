import PrimesModel

/// One rule of a civil-registration dialect: a canonical field, where it sits relative to a person's element
/// (or the record's), and how its text is turned into the canonical value and back.
///
/// ```yaml
/// - canonical: birthDate                # a person field, or `event.…` for the record's civil event
///   in: [subject, relative]             # the person roles (or `record`) the rule applies to
///   xpath: f:birthDate/@value           # read with libxml2's XPath; written with XMLWritePath
///   parser: iso                         # iso | zero-filled | parts (with `parts: {year:, month:, day:}`)
///   unknown: ["0000"]                   # texts that mean "not known": the field stays absent
///   codeList: sex                       # a code list of the mapping, both ways
///   inList: iso-3166-1-alpha-3          # a canonical list the value must belong to, else a drift warning
///   required: true                      # writing fails without it
/// - canonical: identifiers              # a repeating element, one canonical list item each
///   each: f:identifier
///   fields: [{canonical: scheme, xpath: …, codeList: …}, {canonical: value, xpath: f:value/@value}]
/// ```
public final class CivilFieldRule: FieldRuleKind, Sendable {
    public enum Target: Sendable {
        case person(FieldPath)
        case event(FieldPath)
        /// A rule that fills no canonical field: a template or a constant, written only.
        case none
    }

    public let key: String
    public let target: Target
    public let scopes: [String]
    public let read: XPathExpression?
    public let write: XMLWritePath?
    public let date: CivilDateParser?
    public let codeList: CodeListMapping?
    public let inList: String?
    public let unknownMarkers: Set<String>
    public let required: Bool
    /// A regular expression the written text must match whole (FHIR's id pattern), checked on writing.
    public let pattern: String?
    /// Joins several matched values with this separator (FHIR's repeated `given`).
    public let join: String?
    /// A text written as is; `{subject.ref}` is replaced by the subject's reference.
    public let template: String?
    /// The template's text before and after `{subject.ref}`, for recognising it when read.
    let templateParts: (prefix: String, suffix: String)?
    /// Written but never read: its source element stays in extensions on reading.
    public let writeOnly: Bool
    /// Creates the element even when empty, for elements a schema requires whose content is optional.
    public let ensure: Bool
    public let each: (read: XPathExpression, write: XMLWritePath)?
    public let fields: [CivilFieldRule]
    public let file: String
    public let line: Int

    // A class, not a struct: the engine walks every rule for every person, and copying a rule's many
    // references each time showed in profiles of large conversions.
    public required convenience init(rule: FieldRule, mapping: MappingFile) throws(MappingError) {
        try self.init(properties: rule.properties, key: rule.key, file: rule.file, line: rule.line, mapping: mapping)
    }

    init(
        properties: [(key: String, value: YAMLNode)], key: String, file: String, line: Int, mapping: MappingFile
    ) throws(MappingError) {
        func value(_ name: String) -> YAMLNode? { properties.first { $0.key == name }?.value }
        func invalid(_ reason: String) -> MappingError { .invalid(file: file, line: line, reason: "\(key): \(reason)") }
        func compile(_ text: String) throws(MappingError) -> XPathExpression {
            do { return try XPathExpression(text) } catch { throw invalid(error.description) }
        }
        func writable(_ text: String) throws(MappingError) -> XMLWritePath {
            do { return try XMLWritePath(text) } catch { throw invalid(error.description) }
        }

        if let canonical = value("canonical")?.scalar {
            let path: FieldPath
            do { path = try FieldPath(canonical) } catch { throw invalid(error.description) }
            if path.root == "event" {
                do {
                    target = .event(try FieldPath(String(canonical.dropFirst("event.".count))))
                } catch {
                    throw invalid("`event` alone is not a field; name one such as event.registration.number")
                }
            } else {
                target = .person(path)
            }
        } else {
            target = .none
        }
        if let list = value("in")?.items {
            scopes = list.compactMap(\.scalar)
        } else {
            scopes = [value("in")?.scalar ?? "subject"]
        }
        let xpath = value("xpath")?.scalar
        read = try xpath.map(compile)
        // A reading path that the writer cannot build from (`../@entryNo`, a union) makes the rule read-only,
        // unless `writeXPath` gives one it can.
        if let explicit = value("writeXPath")?.scalar {
            write = try writable(explicit)
        } else {
            write = xpath.flatMap { try? XMLWritePath($0) }
        }
        if let each = value("each")?.scalar {
            self.each = (try compile(each), try writable(each).lastAlwaysNew)
        } else {
            each = nil
        }
        var fields: [CivilFieldRule] = []
        for item in value("fields")?.items ?? [] {
            guard let pairs = item.pairs else { throw invalid("each field of `fields` is a mapping") }
            let name = item["canonical"]?.scalar ?? "field"
            fields.append(
                try CivilFieldRule(
                    properties: pairs, key: "\(key).\(name)", file: file, line: item.line, mapping: mapping))
        }
        self.fields = fields
        if let parserNode = value("parser") {
            do {
                date = try CivilDateParser(name: parserNode.scalar ?? "", parts: value("parts"))
            } catch {
                throw invalid(error.description)
            }
        } else {
            date = nil
        }
        if let listName = value("codeList")?.scalar {
            codeList = try mapping.codeList(listName)
        } else {
            codeList = nil
        }
        inList = value("inList")?.scalar
        unknownMarkers = Set(value("unknown")?.items?.compactMap(\.scalar) ?? [])
        required = value("required")?.scalar == "true"
        join = value("join")?.scalar
        pattern = value("pattern")?.scalar
        if let pattern, (try? Regex(pattern)) == nil { throw invalid("`pattern` is not a valid regular expression") }
        template = value("template")?.scalar
        if let template, let marker = template.range(of: "{subject.ref}") {
            templateParts = (String(template[..<marker.lowerBound]), String(template[marker.upperBound...]))
        } else {
            templateParts = nil
        }
        ensure = value("ensure")?.scalar == "true"
        writeOnly = value("writeOnly")?.scalar == "true"
        self.key = key
        self.file = file
        self.line = line
        if read == nil && each == nil && template == nil && !ensure {
            throw invalid("the rule needs `xpath` or `each`")
        }
        if each != nil && fields.isEmpty && read == nil {
            throw invalid("`each` needs `fields`, or an `xpath` for a list of texts")
        }
    }

    /// The canonical field's name for messages: `birthDate`, `event.registration.number`.
    public var fieldName: String {
        switch target {
        case .person(let path): path.description
        case .event(let path): "event." + path.description
        case .none: key
        }
    }
}
