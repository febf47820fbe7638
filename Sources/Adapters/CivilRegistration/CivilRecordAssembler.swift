import CLibXML2
import PrimesModel

/// Runs a dialect's rules on one record's elements and turns them into canonical persons: the subject, the
/// relatives with typed relationships both ways, and the civil event each took part in.
///
/// Source values that no rule reads are kept in the person's `extensions` under the dialect's name, keyed by
/// their path below the person's element, so that nothing a document carries is dropped in silence.
///
/// The engine is generic over the record's tree (`CivilRecordSource`): libxml2's, searched with its XPath, or
/// an `XMLFragment`, searched with `XMLFragmentPath`. A record is read with typed drafts first, which set the
/// fields dialects fill directly (`CivilPersonFields`); a write they do not take has the record read again
/// with `JSONValue` trees addressed by the rules' `FieldPath`s, which keep every canonical field reachable
/// from a mapping file and report bad shapes as they always did.
final class CivilRecordAssembler<Source: CivilRecordSource> {
    private let dialect: CivilDialect
    private let plan: CivilRecordPlan<Source.Path>
    private let context: ConversionContext
    private let format: String
    // `keepUnread`'s work list, kept between records to spare an allocation a person. An assembler is used by
    // one thread at a time.
    private var unreadStack: [Source.Node] = []

    init(dialect: CivilDialect, plan: CivilRecordPlan<Source.Path>, context: ConversionContext, format: String) {
        self.dialect = dialect
        self.plan = plan
        self.context = context
        self.format = format
    }

    private typealias Rule = CivilRecordPlan<Source.Path>.Rule

    /// What one record's persons read, in order, tracked as the rules consume the document's nodes.
    private struct Reading {
        var issues: [FieldIssue] = []
        var warnings: [FieldIssue] = []
        var consumed: Source.Marks
        var kept: [String] = []
        /// A write the typed drafts do not take: the record is read again as trees.
        var refused = false
    }

    /// A person element read, beside its draft (kept apart: a draft is a large value, and these are copied).
    /// The values one rule read, in document order; the usual single value is held without an array.
    private struct ReadValues {
        private(set) var first: CivilValue?
        private var rest: [CivilValue] = []

        var count: Int { first == nil ? 0 : 1 + rest.count }

        var all: [CivilValue] { first.map { [$0] + rest } ?? [] }

        mutating func append(_ value: CivilValue) {
            if first == nil { first = value } else { rest.append(value) }
        }
    }

    private struct ReadPerson {
        var role: String
        var relationship: String?
        var element: Source.Node
    }

    func assemble(_ document: Source, location: RecordLocation, index: Int) -> [ReadItem] {
        var items: [ReadItem] = []
        assemble(document, location: location, index: index, into: &items)
        return items
    }

    /// Appends the record's items to `items`.
    func assemble(_ document: Source, location: RecordLocation, index: Int, into items: inout [ReadItem]) {
        if !assemble(document, location: location, index: index, typed: true, into: &items) {
            _ = assemble(document, location: location, index: index, typed: false, into: &items)
        }
    }

    /// Appends the record's items; false, with nothing appended, when `typed` and a write or an identifier
    /// needs the trees.
    private func assemble(
        _ document: Source, location: RecordLocation, index: Int, typed: Bool, into items: inout [ReadItem]
    ) -> Bool {
        var reading = Reading(consumed: document.makeMarks())
        var event = CivilDraft<CivilEventFields>(typed: typed)
        var persons: [ReadPerson] = []
        var drafts: [CivilDraft<CivilPersonFields>] = []
        // Room for a subject and a few relatives: growing copied the drafts, each a whole typed person.
        persons.reserveCapacity(4)
        drafts.reserveCapacity(4)

        // What the record's own rules read goes to every subject; without such rules a subject starts empty,
        // with no record draft made, copied and destroyed for nothing.
        var recordFields: CivilDraft<CivilPersonFields>?
        if !plan.recordRules.isEmpty {
            var fields = CivilDraft<CivilPersonFields>(typed: typed)
            for rule in plan.recordRules {
                apply(rule, from: document.root, in: document, event: &event, person: &fields, reading: &reading)
            }
            recordFields = fields
        }
        for person in plan.persons {
            let role = person.spec.role
            for element in document.nodes(person.select, from: document.root) {
                // Filled in its place in `drafts`: a draft is a large value, and a local one was copied in.
                if role == "subject", let recordFields {
                    drafts.append(recordFields)
                } else {
                    drafts.append(CivilDraft<CivilPersonFields>(typed: typed))
                }
                let position = drafts.count - 1
                for rule in person.rules {
                    apply(
                        rule, from: element, in: document, event: &event, person: &drafts[position],
                        reading: &reading)
                }
                let relationship = relationshipType(
                    person, element: element, sex: drafts[position].sex, in: document, &reading)
                persons.append(ReadPerson(role: role, relationship: relationship, element: element))
            }
        }
        if reading.refused { return false }
        guard reading.issues.isEmpty else {
            items.append(.rejected(RecordRejection(location: location, issues: reading.issues)))
            return true
        }
        guard !persons.isEmpty else {
            let issue = FieldIssue(field: "record", rule: "no person element of the \(dialect.name) dialect was found")
            items.append(.rejected(RecordRejection(location: location, issues: [issue])))
            return true
        }

        var personElements = document.makeMarks()
        for position in persons.indices { personElements.mark(persons[position].element) }
        for position in persons.indices {
            keepUnread(
                below: persons[position].element, in: document, into: &drafts[position], skipping: nil, &reading)
        }
        keepUnread(below: document.root, in: document, into: &drafts[0], skipping: personElements, &reading)

        // Typed, the persons are made directly; an identifier without its scheme or value needs the trees,
        // which report it as they always did.
        var built: [Result<Person, RecordRejection>] = []
        if typed {
            guard !reading.refused, let typedEvent = event.fields, var people = Self.complete(&drafts) else {
                return false
            }
            linkTyped(persons, &people, event: typedEvent, index: index, reading: &reading)
            for position in people.indices {
                people[position].provenance = Provenance(
                    system: dialect.name, recordId: people[position].ref, format: format,
                    formatVersion: dialect.version, receivedAt: context.receivedAt)
            }
            // Moved out one by one rather than copied: a person is a large value.
            people.reverseByMoving()
            var position = 0
            while !people.isEmpty {
                items.append(
                    .record(
                        SourceRecord(
                            record: .person(people.removeLast()), location: location,
                            warnings: position == 0 ? reading.warnings : [],
                            keptInExtensions: position == 0 ? reading.kept : [])))
                position += 1
            }
        } else {
            var trees = drafts.map(\.tree)
            link(persons, &trees, event: event.tree, index: index, reading: &reading)
            built = trees.map { tree in
                Result(catching: { () throws(RecordRejection) -> Person in try CivilPersonJSON.person(from: tree) })
            }
        }

        for (position, result) in built.enumerated() {
            do {
                var decoded = try result.get()
                decoded.provenance = Provenance(
                    system: dialect.name, recordId: decoded.ref, format: format, formatVersion: dialect.version,
                    receivedAt: context.receivedAt)
                items.append(
                    .record(
                        SourceRecord(
                            record: .person(decoded), location: location,
                            warnings: position == 0 ? reading.warnings : [],
                            keptInExtensions: position == 0 ? reading.kept : [])))
            } catch {
                items.append(.rejected(RecordRejection(location: location, issues: error.issues)))
            }
        }
        return true
    }

    // MARK: - Rules

    private func apply<Fields: CivilDraftFields>(
        _ planned: Rule, from element: Source.Node, in document: Source, event: inout CivilDraft<CivilEventFields>,
        person: inout CivilDraft<Fields>, reading: inout Reading
    ) {
        let rule = planned.rule
        if case .none = rule.target {
            consumeTemplate(planned, from: element, in: document, &reading)
            return
        }
        if rule.writeOnly { return }
        var values = ReadValues()
        if let each = planned.each {
            // Items of fields are read typed when the person is; a list of texts is a tree either way.
            let typedItems = person.isTyped && !planned.fields.isEmpty
            var items: [JSONValue] = []
            var typed: [CivilItemFields] = []
            document.forEachNode(each, from: element) { node in
                if planned.fields.isEmpty, let read = planned.read {
                    let found = readValues(planned, read, from: node, in: document, &reading)
                    items.append(contentsOf: found.all.map(\.json))
                    return
                }
                var item = CivilDraft<CivilItemFields>(typed: typedItems)
                for field in planned.fields {
                    var ignored = CivilDraft<CivilEventFields>(typed: false)
                    apply(field, from: node, in: document, event: &ignored, person: &item, reading: &reading)
                }
                guard !item.isEmpty else { return }
                if let fields = item.fields { typed.append(fields) } else { items.append(item.tree) }
            }
            if typedItems {
                guard !typed.isEmpty else { return }
                values.append(.items(typed))
            } else {
                guard !items.isEmpty else { return }
                values.append(.tree(.array(items)))
            }
        } else if let read = planned.read {
            values = readValues(planned, read, from: element, in: document, &reading)
        } else {
            return
        }
        guard var value = values.first else { return }
        if values.count > 1 {
            if let join = rule.join {
                value = .text(values.all.compactMap(\.scalarText).joined(separator: join))
            } else {
                reading.warnings.append(
                    warning(rule, "\(values.count) values where one is expected; the first is read"))
            }
        }
        do {
            var taken = true
            // A typed draft is written without the rule's field path: binding the path retained and released it
            // (an object both threads share) for every value read.
            switch rule.target {
            case .person where person.isTyped: taken = person.setTyped(value, target: planned.target)
            case .event where event.isTyped: taken = event.setTyped(value, target: planned.target)
            case .person(let path): taken = try person.set(path, value, target: planned.target)
            case .event(let path): taken = try event.set(path, value, target: planned.target)
            case .none: break
            }
            if !taken { reading.refused = true }
        } catch {
            reading.issues.append(FieldIssue(field: rule.fieldName, rule: "at \(rule.xpathText): \(error)"))
        }
    }

    /// Marks as read the values a template rule writes (a coding's system URI, `Patient/{subject.ref}`), so
    /// that they are not kept as unread; a value that differs from the template stays in extensions.
    private func consumeTemplate(
        _ planned: Rule, from element: Source.Node, in document: Source, _ reading: inout Reading
    ) {
        let rule = planned.rule
        guard let template = rule.template, let read = planned.read else { return }
        document.forEachNode(read, from: element) { node in
            let text = document.trimmedText(node)
            let matches: Bool
            if let (prefix, suffix) = rule.templateParts {
                matches =
                    Self.hasMoreCharacters(text, than: planned.templateFixedCount) && text.hasPrefix(prefix)
                    && text.hasSuffix(suffix)
            } else {
                matches = text == template
            }
            if matches { reading.consumed.mark(node) }
        }
    }

    /// Whether `text` has more than `count` Characters, counting them only when its bytes cannot tell: a text has
    /// no more Characters than bytes, and as many when it is ASCII.
    private static func hasMoreCharacters(_ text: String, than count: Int) -> Bool {
        let bytes = text.utf8.count
        if bytes <= count { return false }
        // Through the string's contiguous bytes: `utf8.allSatisfy` stepped through its indexes one by one.
        let isASCII = text.utf8.withContiguousStorageIfAvailable { $0.allSatisfy { $0 < 0x80 } }
        if isASCII ?? text.utf8.allSatisfy({ $0 < 0x80 }) { return true }
        return text.count > count
    }

    /// The canonical values of the nodes `read` selects, each through the rule's parser and code list.
    private func readValues(
        _ planned: Rule, _ read: Source.Path, from element: Source.Node, in document: Source,
        _ reading: inout Reading
    ) -> ReadValues {
        let rule = planned.rule
        var values = ReadValues()
        document.forEachNode(read, from: element) { node in
            reading.consumed.mark(node)
            if let parts = planned.parts {
                if let date = readParts(rule, parts, from: node, in: document, &reading) { values.append(date) }
                return
            }
            let text = document.trimmedText(node)
            if text.isEmpty {
                reading.warnings.append(warning(rule, "empty element read as absent"))
                return
            }
            if !rule.unknownMarkers.isEmpty && rule.unknownMarkers.contains(text) { return }
            if let value = convert(text, rule, &reading) { values.append(value) }
        }
        return values
    }

    private func readParts(
        _ rule: CivilFieldRule, _ parts: (year: Source.Path, month: Source.Path?, day: Source.Path?),
        from node: Source.Node, in document: Source, _ reading: inout Reading
    ) -> CivilValue? {
        func part(_ path: Source.Path?) -> String? {
            guard let path, let found = document.firstNode(path, from: node) else { return nil }
            reading.consumed.mark(found)
            let text = document.trimmedText(found)
            return text.isEmpty || (!rule.unknownMarkers.isEmpty && rule.unknownMarkers.contains(text)) ? nil : text
        }
        guard let year = part(parts.year) else { return nil }
        do {
            return .date(try CivilDateParser.fromParts(year: year, month: part(parts.month), day: part(parts.day)))
        } catch {
            reading.issues.append(FieldIssue(field: rule.fieldName, rule: "at \(rule.xpathText): \(error)"))
            return nil
        }
    }

    private func convert(_ text: String, _ rule: CivilFieldRule, _ reading: inout Reading) -> CivilValue? {
        if let parser = rule.date {
            do {
                return .date(try parser.parse(text))
            } catch {
                reading.issues.append(FieldIssue(field: rule.fieldName, rule: "at \(rule.xpathText): \(error)"))
                return nil
            }
        }
        var value = text
        if rule.codeList != nil {
            // Through the rule rather than bound to a local: a code list is a large value, and binding it
            // copied it for every value read.
            do {
                value = try rule.codeList?.canonical(for: text) ?? text
            } catch {
                reading.issues.append(FieldIssue(field: rule.fieldName, rule: "at \(rule.xpathText): \(error)"))
                return nil
            }
        }
        if let listName = rule.inList, let list = context.codeLists[listName], !list.contains(value) {
            reading.warnings.append(warning(rule, "not a code of \(listName); read as absent"))
            return nil
        }
        return .text(value)
    }

    private func relationshipType(
        _ person: CivilRecordPlan<Source.Path>.Person, element: Source.Node, sex: String, in document: Source,
        _ reading: inout Reading
    ) -> String? {
        // The coded relationship first: matching `person.spec.relationship` copies its paths and code list.
        guard let coded = person.coded else {
            guard case .bySex(let table, let otherwise)? = person.spec.relationship else { return nil }
            return table[sex] ?? otherwise
        }
        // The first coding in a known system decides; visited in place rather than gathered into an array.
        var decided = false
        var type: String?
        document.forEachNode(coded.coding, from: element) { node in
            guard !decided, let codeNode = document.firstNode(coded.code, from: node) else { return }
            reading.consumed.mark(codeNode)
            let systemNode = document.firstNode(coded.system, from: node)
            if let systemNode { reading.consumed.mark(systemNode) }
            let uri = systemNode.map { document.trimmedText($0) }
            if let uri, !coded.list.isKnown(by: uri) { return }
            if let uri, uri != coded.list.uris.first {
                reading.warnings.append(
                    FieldIssue(
                        field: "relationships", rule: "code system \(uri) is a legacy URI of \(coded.list.name)",
                        severity: .warning))
            }
            decided = true
            do {
                type = try coded.list.canonical(for: document.trimmedText(codeNode))
            } catch {
                reading.issues.append(FieldIssue(field: "relationships", rule: "at relationship: \(error)"))
            }
        }
        if decided { return type }
        reading.issues.append(
            FieldIssue(
                field: "relationships",
                rule: "no relationship coded in \(coded.list.name) (\(coded.list.uris.first ?? ""))"))
        return nil
    }

    // MARK: - Linking

    /// Gives every person a `ref`, links relatives and subject both ways, and records the civil event.
    private func link(
        _ persons: [ReadPerson], _ trees: inout [JSONValue], event: JSONValue, index: Int, reading: inout Reading
    ) {
        var counts: [String: Int] = [:]
        for position in persons.indices where trees[position].member("ref") == nil {
            let role = persons[position].relationship ?? persons[position].role
            counts[role, default: 0] += 1
            let suffix = counts[role, default: 1] > 1 ? "\(counts[role, default: 1])" : ""
            trees[position].setMember("ref", .string("record\(index)-\(role)\(suffix)"))
        }
        guard let subjectPosition = persons.firstIndex(where: { $0.role == "subject" }) else {
            reading.warnings.append(
                FieldIssue(
                    field: "relationships", rule: "relatives without a subject in this record", severity: .warning))
            return
        }
        let subjectRef = trees[subjectPosition].member("ref") ?? .null

        var eventTree = event
        let eventType = event.member("type")?.scalarText ?? dialect.fixedEvent
        if let eventType {
            eventTree.setMember("type", .string(eventType))
            let subject = trees[subjectPosition]
            let defaults: [(String, String)] =
                eventType == "birth"
                ? [("date", "birthDate"), ("place", "birthPlace")]
                : eventType == "death" ? [("date", "deathDate")] : []
            for (field, source) in defaults where eventTree.member(field) == nil {
                if let value = subject.member(source) { eventTree.setMember(field, value) }
            }
            var subjectEvent = eventTree
            subjectEvent.setMember("role", .string(eventType == "marriage" ? "spouse" : "subject"))
            trees[subjectPosition].appendMember("events", subjectEvent)
        } else if case .object(let fields) = event, !fields.isEmpty {
            reading.warnings.append(
                FieldIssue(field: "event", rule: "event fields without an event type are ignored", severity: .warning))
        }

        for position in persons.indices where position != subjectPosition {
            let type = persons[position].relationship ?? "other"
            let ref = trees[position].member("ref") ?? .null
            trees[subjectPosition].appendMember("relationships", .object(["type": .string(type), "ref": ref]))
            trees[position].appendMember(
                "relationships", .object(["type": .string(Self.inverse(type)), "ref": subjectRef]))
            if let eventType, let role = Self.eventRole(eventType: eventType, relationship: type) {
                var relativeEvent = eventTree
                relativeEvent.setMember("role", .string(role))
                trees[position].appendMember("events", relativeEvent)
            }
        }
    }

    /// The persons' typed fields, when every draft kept them and every identifier is whole.
    /// Takes the persons out of their drafts (which are left empty, the record being done with them).
    private static func complete(_ drafts: inout [CivilDraft<CivilPersonFields>]) -> [Person]? {
        var typed: [Person] = []
        typed.reserveCapacity(drafts.count)
        for position in drafts.indices {
            guard let person = drafts[position].takePerson() else { return nil }
            typed.append(person)
        }
        return typed
    }

    /// `link` on typed persons: the same references, relationships and events, without trees.
    private func linkTyped(
        _ persons: [ReadPerson], _ typed: inout [Person], event: CivilEventFields, index: Int,
        reading: inout Reading
    ) {
        var counts: [String: Int] = [:]
        for position in persons.indices where typed[position].ref == nil {
            let role = persons[position].relationship ?? persons[position].role
            counts[role, default: 0] += 1
            let suffix = counts[role, default: 1] > 1 ? "\(counts[role, default: 1])" : ""
            typed[position].ref = "record\(index)-\(role)\(suffix)"
        }
        guard let subjectPosition = persons.firstIndex(where: { $0.role == "subject" }) else {
            reading.warnings.append(
                FieldIssue(
                    field: "relationships", rule: "relatives without a subject in this record", severity: .warning))
            return
        }
        let subjectRef = typed[subjectPosition].ref ?? ""

        let eventType = event.type ?? dialect.fixedEvent
        var shared: CivilEvent?
        if let eventType {
            var civil = CivilEvent(
                type: eventType, role: "", date: event.date, place: event.place, registration: event.registration)
            let subject = typed[subjectPosition]
            if eventType == "birth" {
                if civil.date == nil { civil.date = subject.birthDate }
                if civil.place == nil { civil.place = subject.birthPlace }
            } else if eventType == "death" {
                if civil.date == nil { civil.date = subject.deathDate }
            }
            shared = civil
            civil.role = eventType == "marriage" ? "spouse" : "subject"
            typed[subjectPosition].events.append(civil)
        } else if !event.isEmpty {
            reading.warnings.append(
                FieldIssue(field: "event", rule: "event fields without an event type are ignored", severity: .warning))
        }

        for position in persons.indices where position != subjectPosition {
            let type = persons[position].relationship ?? "other"
            typed[subjectPosition].relationships.append(Relationship(type: type, ref: typed[position].ref ?? ""))
            typed[position].relationships.append(Relationship(type: Self.inverse(type), ref: subjectRef))
            if let eventType, var relativeEvent = shared,
                let role = Self.eventRole(eventType: eventType, relationship: type)
            {
                relativeEvent.role = role
                typed[position].events.append(relativeEvent)
            }
        }
    }

    static func inverse(_ type: String) -> String {
        switch type {
        case "mother", "father", "parent": "child"
        case "child": "parent"
        case "spouse", "sibling": type
        case "grandparent": "grandchild"
        case "grandchild": "grandparent"
        default: "other"
        }
    }

    static func eventRole(eventType: String, relationship: String) -> String? {
        switch (eventType, relationship) {
        case ("birth", "mother"), ("birth", "father"): relationship
        case ("marriage", "spouse"), ("divorce", "spouse"): "spouse"
        default: nil
        }
    }

    // MARK: - Unread values

    /// Keeps every attribute and text below `element` that no rule read, in the person's extensions.
    ///
    /// A value's key is its path of local names below `element`, spelt out (through the nodes' parents) only for
    /// values kept.
    private func keepUnread(
        below element: Source.Node, in document: Source, into draft: inout CivilDraft<CivilPersonFields>,
        skipping: Source.Marks?, _ reading: inout Reading
    ) {
        var kept: [String: JSONValue] = [:]
        var stack = unreadStack
        unreadStack = []
        defer {
            stack.removeAll(keepingCapacity: true)
            unreadStack = stack
        }
        // Loops over siblings rather than closures: the work list captured by closures was checked for
        // exclusive access on every node, which showed in profiles. Elements only go on the list, last child
        // on top, so that they are visited in the order they always were.
        var child = document.firstChild(element)
        while let current = child {
            if document.isElement(current) { stack.append(current) }
            child = document.nextSibling(current)
        }
        while let node = stack.popLast() {
            guard skipping?.isMarked(node) != true, !reading.consumed.isMarked(node) else { continue }
            var attribute = document.firstAttribute(node)
            while let current = attribute {
                attribute = document.nextSibling(current)
                guard !reading.consumed.isMarked(current) else { continue }
                let name = document.localName(current)
                if name != "schemaLocation" {
                    let key = "\(Self.path(to: node, below: element, in: document))/@\(name)"
                    Self.add(.string(document.text(current)), at: key, to: &kept)
                }
            }
            var hasElements = false
            child = document.firstChild(node)
            while let current = child {
                if document.isElement(current) {
                    hasElements = true
                    stack.append(current)
                }
                child = document.nextSibling(current)
            }
            if !hasElements {
                let text = document.trimmedText(node)
                if !text.isEmpty {
                    Self.add(.string(text), at: Self.path(to: node, below: element, in: document), to: &kept)
                }
            }
        }
        guard !kept.isEmpty else { return }
        let sorted = kept.sorted { $0.key < $1.key }
        for (key, _) in sorted { reading.kept.append("\(dialect.extensionNamespace).\(key)") }
        if !draft.keep(sorted.map { ($0.key, $0.value) }, in: dialect.extensionNamespace) { reading.refused = true }
    }

    /// The local names from the child of `element` that holds `node` down to `node`, joined by `/`.
    private static func path(to node: Source.Node, below element: Source.Node, in document: Source) -> String {
        var names: [String] = []
        var current = node
        while current != element {
            names.append(document.localName(current))
            guard let parent = document.parent(current) else { break }
            current = parent
        }
        return names.reversed().joined(separator: "/")
    }

    private static func add(_ value: JSONValue, at key: String, to kept: inout [String: JSONValue]) {
        switch kept[key] {
        case nil: kept[key] = value
        case .array(let values)?: kept[key] = .array(values + [value])
        case let existing?: kept[key] = .array([existing, value])
        }
    }

    private func warning(_ rule: CivilFieldRule, _ text: String) -> FieldIssue {
        FieldIssue(field: rule.fieldName, rule: "at \(rule.xpathText): \(text)", severity: .warning)
    }
}

extension CivilFieldRule {
    var xpathText: String {
        each?.read.text ?? read?.text ?? key
    }
}

extension JSONValue {
    func member(_ key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    mutating func setMember(_ key: String, _ value: JSONValue) {
        guard case .object(var object) = self else { return }
        object[key] = value
        self = .object(object)
    }

    mutating func appendMember(_ key: String, _ value: JSONValue) {
        guard case .object(var object) = self else { return }
        if case .array(let items)? = object[key] {
            object[key] = .array(items + [value])
        } else {
            object[key] = .array([value])
        }
        self = .object(object)
    }
}

extension String {
    /// The text without leading and trailing XML whitespace (space, tab, carriage return, line feed).
    var trimmedWhitespace: String {
        let bytes = utf8
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        guard let first = bytes.first, let last = bytes.last else { return self }
        if !isSpace(first) && !isSpace(last) { return self }
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, isSpace(bytes[start]) { start = bytes.index(after: start) }
        while end > start, isSpace(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
        return String(self[start..<end])
    }
}

extension Array {
    /// Reverses the elements by moving them. `reverse()` swaps through copies of the elements, which for
    /// records of many fields (a person, a read item) showed in profiles as a retain and a release per field.
    mutating func reverseByMoving() {
        withUnsafeMutableBufferPointer { $0.reverse() }
    }
}
