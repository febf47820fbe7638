import PrimesModel

/// A civil-registration XML dialect, read from a mapping file under `Mappings/civil-registration/`: which
/// documents it matches, its namespaces, where a record's persons sit, and one rule per canonical field.
///
/// ```yaml
/// settings:
///   namespaces: {f: "http://hl7.org/fhir"}
///   defaultNamespace: f                  # written as xmlns="…"
///   envelope:                            # a document holding many records (omit for one record a document)
///     element: f:Bundle
///     record: f:entry                    # the envelope's children that make up records
///     startsRecord: f:resource/f:Patient # a child matching this begins the next record
///     constants: [{path: "f:type/@value", value: collection}]
///   recordRoots: [f:Patient]             # root elements that are a whole record by themselves
///   event: birth                         # the event every record certifies, when the dialect fixes it
///   persons:
///     - {role: subject, select: "f:entry/f:resource/f:Patient | f:Patient", write: "+f:entry/f:resource/f:Patient"}
/// ```
public struct CivilDialect: Sendable {
    public let name: String
    public let version: String
    public let file: String
    public let namespaces: [(prefix: String, uri: String)]
    public let defaultPrefix: String?
    /// The schema the dialect's documents follow, as the mapping states it (for operators and tests).
    public let schema: String?
    public let envelope: Envelope?
    public let recordRoots: [QualifiedName]
    public let fixedEvent: String?
    /// The `extensions` namespace that keeps source values no rule reads, such as `hl7.fhir-r4`.
    public let extensionNamespace: String
    public let persons: [PersonSpec]
    public let rules: [CivilFieldRule]

    /// An element name as a namespace URI and a local name, with the prefix the dialect writes it with.
    public struct QualifiedName: Sendable, Equatable {
        public let prefixed: String
        public let namespace: String?
        public let localName: String
    }

    public struct Envelope: Sendable {
        public let element: QualifiedName
        public let record: QualifiedName
        public let startsRecord: XPathExpression?
        public let constants: [(path: XMLWritePath, value: String)]
    }

    /// Where one kind of person sits in a record, and how their relationship to the subject is told.
    public struct PersonSpec: Sendable {
        public let role: String
        public let select: XPathExpression
        public let write: XMLWritePath
        public let relationship: RelationshipSpec?
        /// The relationship types this element can hold, when written; others are reported as not held.
        public let accepts: [String]
    }

    public enum RelationshipSpec: Sendable {
        /// A coding element with a system URI and a code, mapped by the code list known by that URI.
        case coded(
            coding: XPathExpression, codingWrite: XMLWritePath, system: XPathExpression,
            systemWrite: XMLWritePath, code: XPathExpression, codeWrite: XMLWritePath, list: CodeListMapping)
        /// Told by the person's canonical sex (a DE4A parent), with a type for any other sex.
        case bySex([String: String], otherwise: String)
    }

    /// Reads the dialect from a loaded mapping file, compiling every path once.
    public init(mapping: MappingFile) throws(MappingError) {
        let file = mapping.path
        func invalid(_ reason: String, _ line: Int = 0) -> MappingError {
            .invalid(file: file, line: line, reason: reason)
        }
        guard let settings = mapping.settings else { throw invalid("a civil-registration dialect needs `settings`") }
        var namespaces: [(prefix: String, uri: String)] = []
        for (prefix, uri) in settings["namespaces"]?.pairs ?? [] {
            guard let uri = uri.scalar else { throw invalid("namespace \(prefix) must be a URI", uri.line) }
            namespaces.append((prefix, uri))
        }
        func qualified(_ node: YAMLNode?) throws(MappingError) -> QualifiedName? {
            guard let text = node?.scalar else { return nil }
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return QualifiedName(prefixed: text, namespace: nil, localName: text) }
            guard let uri = namespaces.first(where: { $0.prefix == parts[0] })?.uri else {
                throw invalid("prefix \(parts[0]) of \(text) is not in `namespaces`", node?.line ?? 0)
            }
            return QualifiedName(prefixed: text, namespace: uri, localName: parts[1])
        }
        func compile(_ node: YAMLNode?, _ what: String) throws(MappingError) -> XPathExpression {
            guard let text = node?.scalar else { throw invalid("\(what) needs an XPath", node?.line ?? 0) }
            do { return try XPathExpression(text) } catch { throw invalid("\(what): \(error)", node?.line ?? 0) }
        }
        func writable(_ node: YAMLNode?, _ what: String) throws(MappingError) -> XMLWritePath {
            guard let text = node?.scalar else { throw invalid("\(what) needs a path", node?.line ?? 0) }
            do { return try XMLWritePath(text) } catch { throw invalid("\(what): \(error)", node?.line ?? 0) }
        }

        var envelope: Envelope?
        if let node = settings["envelope"] {
            guard let element = try qualified(node["element"]), let record = try qualified(node["record"]) else {
                throw invalid("`envelope` needs `element` and `record`", node.line)
            }
            var constants: [(XMLWritePath, String)] = []
            for item in node["constants"]?.items ?? [] {
                guard let value = item["value"]?.scalar else { throw invalid("a constant needs `value`", item.line) }
                constants.append((try writable(item["path"], "constant"), value))
            }
            let starts = node["startsRecord"] == nil ? nil : try compile(node["startsRecord"], "startsRecord")
            envelope = Envelope(element: element, record: record, startsRecord: starts, constants: constants)
        }
        var recordRoots: [QualifiedName] = []
        for item in settings["recordRoots"]?.items ?? [] {
            if let root = try qualified(item) { recordRoots.append(root) }
        }
        guard envelope != nil || !recordRoots.isEmpty else {
            throw invalid("a dialect needs an `envelope`, `recordRoots`, or both")
        }

        var persons: [PersonSpec] = []
        for item in settings["persons"]?.items ?? [] {
            guard let role = item["role"]?.scalar else { throw invalid("a person needs a `role`", item.line) }
            var relationship: RelationshipSpec?
            if let coded = item["relationship"], coded["codeList"] != nil {
                guard let listName = coded["codeList"]?.scalar else { throw invalid("codeList must be a name") }
                relationship = .coded(
                    coding: try compile(coded["coding"], "relationship coding"),
                    codingWrite: try writable(coded["coding"], "relationship coding"),
                    system: try compile(coded["system"], "relationship system"),
                    systemWrite: try writable(coded["system"], "relationship system"),
                    code: try compile(coded["code"], "relationship code"),
                    codeWrite: try writable(coded["code"], "relationship code"),
                    list: try mapping.codeList(listName))
            } else if let bySex = item["relationship"]?["bySex"] {
                var table: [String: String] = [:]
                for (sex, type) in bySex.pairs ?? [] { table[sex] = type.scalar }
                relationship = .bySex(table, otherwise: item["relationship"]?["otherwise"]?.scalar ?? "parent")
            }
            persons.append(
                PersonSpec(
                    role: role,
                    select: try compile(item["select"], "person \(role) select"),
                    write: try writable(item["write"], "person \(role) write").lastAlwaysNew,
                    relationship: relationship,
                    accepts: item["accepts"]?.items?.compactMap(\.scalar) ?? []))
        }
        guard persons.contains(where: { $0.role == "subject" }) else {
            throw invalid("`persons` needs one with role `subject`")
        }

        var rules: [CivilFieldRule] = []
        for field in mapping.fields {
            rules.append(try CivilFieldRule(rule: field, mapping: mapping))
        }
        let roles = Set(persons.map(\.role) + ["record"])
        for rule in rules {
            for scope in rule.scopes where !roles.contains(scope) {
                throw invalid("\(rule.key): scope `\(scope)` is not a person role or `record`")
            }
        }

        self.name = mapping.name
        self.version = mapping.version
        self.file = file
        self.namespaces = namespaces
        self.defaultPrefix = settings["defaultNamespace"]?.scalar
        self.schema = settings["schema"]?.scalar
        self.envelope = envelope
        self.recordRoots = recordRoots
        self.fixedEvent = settings["event"]?.scalar
        self.extensionNamespace = settings["extensionNamespace"]?.scalar ?? "civil.\(mapping.name)"
        self.persons = persons
        self.rules = rules
        var byScope: [String: [CivilFieldRule]] = [:]
        for rule in rules {
            for scope in rule.scopes { byScope[scope, default: []].append(rule) }
        }
        self.rulesByScope = byScope
    }

    private let rulesByScope: [String: [CivilFieldRule]]

    /// The rules that apply in `scope` (a person role, or `record`).
    public func rules(in scope: String) -> [CivilFieldRule] {
        rulesByScope[scope] ?? []
    }
}
