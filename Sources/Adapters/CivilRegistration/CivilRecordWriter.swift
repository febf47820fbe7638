import PrimesModel

/// Writes canonical persons as civil-registration XML of one dialect.
///
/// Persons arrive one at a time; a subject and the persons linked to it by `ref` (as the reader yields them)
/// make one record. Each record is built as a small tree as soon as a person joins it, so that a person the
/// dialect cannot hold is rejected at its own `write`, and the tree is written out when the next record starts.
public final class CivilRecordWriter: RecordWriter {
    private let dialect: CivilDialect
    private let sink: any ByteSink
    private let context: ConversionContext
    private var output: XMLDocumentWriter?
    private var group: [(person: Person, tree: JSONValue)] = []
    private var built: XMLOutputElement?
    private var documentsWritten = 0

    public init(sink: any ByteSink, dialect: CivilDialect, context: ConversionContext) {
        self.sink = sink
        self.dialect = dialect
        self.context = context
    }

    public func write(_ record: CanonicalRecord, from location: RecordLocation) throws -> WriteNotes {
        guard case .person(let person) = record else {
            throw RecordRejection(
                location: location, field: "recordType", rule: "the \(dialect.name) dialect holds persons, not groups")
        }
        let entry = (person: person, tree: CivilPersonJSON.tree(from: person))
        if let subject = group.first, belongs(person, to: subject.person) {
            let candidate = group + [entry]
            built = try build(candidate, location: location)
            group = candidate
        } else {
            if dialect.envelope == nil && (documentsWritten > 0 || !group.isEmpty) {
                throw RecordRejection(
                    location: location, field: "record",
                    rule: "a \(dialect.name) document holds one record; convert each record to its own file")
            }
            let tree = try build([entry], location: location)
            try emit()
            group = [entry]
            built = tree
        }
        return WriteNotes(notHeld: notHeld(entry.tree, role: group.count == 1 ? "subject" : relativeRole))
    }

    public func finish() throws {
        try emit()
        if dialect.envelope != nil {
            try openEnvelopeIfNeeded()
            try output?.endDocument()
        } else if documentsWritten > 0 {
            try output?.flush()
        }
        try sink.flush()
    }

    private var relativeRole: String {
        dialect.persons.first { $0.role != "subject" }?.role ?? "subject"
    }

    private func belongs(_ person: Person, to subject: Person) -> Bool {
        guard let ref = person.ref ?? person.id else { return false }
        let subjectRef = subject.ref ?? subject.id
        return subject.relationships.contains { $0.ref == ref }
            || person.relationships.contains { $0.ref == subjectRef && subjectRef != nil }
    }

    // MARK: - Output

    private func openEnvelopeIfNeeded() throws {
        guard output == nil, let envelope = dialect.envelope else { return }
        let writer = try XMLDocumentWriter(sink: sink, defaultPrefix: dialect.defaultPrefix)
        try writer.startDocument()
        try writer.startElement(envelope.element.prefixed, namespaces: dialect.namespaces)
        let constants = XMLOutputElement(name: "constants")
        for (path, value) in envelope.constants { constants.set(path, value) }
        for child in constants.children { try writer.write(child) }
        output = writer
    }

    private func emit() throws {
        guard let record = built else { return }
        built = nil
        if dialect.envelope != nil {
            try openEnvelopeIfNeeded()
            for child in record.children { try output?.write(child) }
            return
        }
        let writer = try XMLDocumentWriter(sink: sink, defaultPrefix: dialect.defaultPrefix)
        try writer.startDocument()
        for root in record.children {
            try writer.startElement(root.name, namespaces: dialect.namespaces)
            for (name, value) in root.attributes { root.setAttribute(name, value) }
            for child in root.children { try writer.write(child) }
            try writer.endElement()
        }
        try writer.endDocument()
        output = writer
        documentsWritten += 1
    }

    // MARK: - Building a record

    private func build(_ persons: [(person: Person, tree: JSONValue)], location: RecordLocation) throws
        -> XMLOutputElement
    {
        var issues: [FieldIssue] = []
        let record = XMLOutputElement(name: "record")
        guard let subject = persons.first else { return record }
        let event = Self.event(of: subject.person)
        let subjectRef = subject.person.ref ?? subject.person.id ?? "subject"

        for rule in dialect.rules(in: "record") {
            write(rule, person: subject.tree, event: event, subjectRef: subjectRef, into: record, &issues)
        }
        for (position, entry) in persons.enumerated() {
            let role = position == 0 ? "subject" : relativeRole
            guard let spec = dialect.persons.first(where: { $0.role == role }) else { continue }
            let relationship = position == 0 ? nil : Self.relationship(of: entry.person, to: subject.person)
            if let relationship, !spec.accepts.isEmpty, !spec.accepts.contains(relationship) {
                issues.append(
                    FieldIssue(field: "relationships", rule: "a \(relationship) cannot be written in \(dialect.name)"))
                continue
            }
            let element = record.element(at: spec.write)
            for rule in dialect.rules(in: role) {
                write(rule, person: entry.tree, event: event, subjectRef: subjectRef, into: element, &issues)
                if rule.isRelationshipAnchor,
                    case .coded(_, let codingWrite, _, let systemWrite, _, let codeWrite, let list) = spec.relationship
                {
                    writeRelationship(
                        relationship ?? "other", codingWrite, systemWrite, codeWrite, list, into: element, &issues)
                }
            }
        }
        guard issues.isEmpty else { throw RecordRejection(location: location, issues: issues) }
        return record
    }

    private func writeRelationship(
        _ type: String, _ codingWrite: XMLWritePath, _ systemWrite: XMLWritePath, _ codeWrite: XMLWritePath,
        _ list: CodeListMapping, into element: XMLOutputElement, _ issues: inout [FieldIssue]
    ) {
        do {
            let code = try list.code(for: type)
            let coding = element.element(at: codingWrite)
            if let uri = list.uris.first { coding.set(systemWrite, uri) }
            coding.set(codeWrite, code)
        } catch {
            issues.append(FieldIssue(field: "relationships", rule: error.description))
        }
    }

    private func write(
        _ rule: CivilFieldRule, person: JSONValue, event: JSONValue?, subjectRef: String,
        into element: XMLOutputElement, _ issues: inout [FieldIssue]
    ) {
        if let template = rule.template, let path = rule.write {
            element.set(path, template.replacingSubjectRef(with: subjectRef))
            return
        }
        if rule.ensure, let path = rule.write {
            _ = element.element(at: path)
            if rule.read == nil { return }
        }
        let value: JSONValue?
        switch rule.target {
        case .person(let path): value = path.value(in: person)
        case .event(let path): value = event.flatMap { path.value(in: $0) }
        case .none: value = nil
        }
        guard let value, value != .null else {
            if rule.required {
                issues.append(FieldIssue(field: rule.fieldName, rule: "required by \(dialect.name) but absent"))
            }
            return
        }
        if let each = rule.each {
            guard case .array(let items) = value else { return }
            for item in items {
                if rule.fields.isEmpty {
                    guard let path = rule.write, let text = text(for: item, rule, &issues) else { continue }
                    element.element(at: each.write).set(path, text)
                    continue
                }
                var itemIssues: [FieldIssue] = []
                // Built apart and attached only when every field maps, so an unmappable item leaves no trace.
                let (parentPath, lastStep) = each.write.splitLast()
                let container = XMLOutputElement(name: "item")
                let built = container.element(at: lastStep)
                for field in rule.fields {
                    write(field, person: item, event: nil, subjectRef: subjectRef, into: built, &itemIssues)
                }
                // An item a field cannot map (an identifier scheme with no type code) is left out, not the record.
                if itemIssues.isEmpty, let made = container.children.first {
                    (parentPath.map { element.element(at: $0) } ?? element).append(made)
                }
            }
            return
        }
        guard let path = rule.write else { return }
        if case .parts(let parts) = rule.date {
            guard let date = Self.date(value) else { return }
            let container = element.element(at: path)
            container.set(parts.year.write, String(date.year))
            if let month = date.month, let monthPath = parts.month?.write {
                container.set(monthPath, parts.monthPrefix + String(month).leftPadded(2))
            }
            if let day = date.day, let dayPath = parts.day?.write {
                container.set(dayPath, parts.dayPrefix + String(day).leftPadded(2))
            }
            return
        }
        guard let text = text(for: value, rule, &issues) else { return }
        if let pattern = rule.pattern, let regex = try? Regex(pattern), (try? regex.wholeMatch(in: text)) == nil {
            issues.append(
                FieldIssue(field: rule.fieldName, rule: "does not match \(dialect.name)'s pattern \(pattern)"))
            return
        }
        element.set(path, text)
    }

    private func text(for value: JSONValue, _ rule: CivilFieldRule, _ issues: inout [FieldIssue]) -> String? {
        if let parser = rule.date {
            guard let date = Self.date(value) else { return nil }
            return parser.format(date)
        }
        guard let text = value.scalarText else { return nil }
        guard let list = rule.codeList else { return text }
        do {
            return try list.code(for: text)
        } catch {
            issues.append(FieldIssue(field: rule.fieldName, rule: error.description))
            return nil
        }
    }

    private static func date(_ value: JSONValue) -> PartialDate? {
        guard let text = value.member("value")?.scalarText else { return nil }
        return try? PartialDate(iso: text)
    }

    /// The event the subject is the subject (or a spouse) of, as a tree for `event.…` rules.
    private static func event(of person: Person) -> JSONValue? {
        guard let event = person.events.first(where: { $0.role == "subject" || $0.role == "spouse" }) else {
            return nil
        }
        return CivilPersonJSON.tree(from: Person(events: [event])).member("events").flatMap {
            if case .array(let items) = $0 { return items.first }
            return nil
        }
    }

    private static func relationship(of relative: Person, to subject: Person) -> String {
        let relativeRef = relative.ref ?? relative.id
        if let found = subject.relationships.first(where: { $0.ref == relativeRef }) { return found.type }
        let subjectRef = subject.ref ?? subject.id
        if let back = relative.relationships.first(where: { $0.ref == subjectRef }) {
            return back.type == "child" ? "parent" : back.type
        }
        return "other"
    }

    // MARK: - What the dialect cannot hold

    private func notHeld(_ tree: JSONValue, role: String) -> [String] {
        guard case .object(let fields) = tree else { return [] }
        let rules = dialect.rules(in: role) + (role == "subject" ? dialect.rules(in: "record") : [])
        let covered = Set(
            rules.compactMap { rule -> String? in
                if case .person(let path) = rule.target { return path.description }
                return nil
            })
        let coveredRoots = Set(covered.map { $0.split(separator: ".").first.map(String.init) ?? $0 })
        var missing: [String] = []
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "recordType", "ref", "relationships", "events", "provenance": continue
            default: break
            }
            guard coveredRoots.contains(where: { $0 == key || $0.hasPrefix(key + "[") }) else {
                missing.append(key)
                continue
            }
            if case .object(let inner) = value {
                for innerKey in inner.keys.sorted()
                where !covered.contains("\(key).\(innerKey)") && !covered.contains(key) {
                    missing.append("\(key).\(innerKey)")
                }
            }
        }
        return missing
    }
}

extension CivilFieldRule {
    /// The rule after which a coded relationship is written: the one with `id: relationship`, which places the
    /// relationship element where the schema wants it.
    var isRelationshipAnchor: Bool { key == "relationship" }
}

extension String {
    fileprivate func replacingSubjectRef(with ref: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: "{subject.ref}") {
            result += rest[..<range.lowerBound] + ref
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
