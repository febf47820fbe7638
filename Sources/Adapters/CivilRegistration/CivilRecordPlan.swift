import CLibXML2

/// A dialect's rules with every path compiled once for the kind of tree records are read into: libxml2's
/// XPath on a copied libxml2 tree, or `XMLFragmentPath` on an `XMLFragment`.
struct CivilRecordPlan<Path> {
    final class Rule {
        let rule: CivilFieldRule
        let read: Path?
        let each: Path?
        let fields: [Rule]
        let parts: (year: Path, month: Path?, day: Path?)?
        /// The typed field the rule writes, when the typed drafts hold it.
        let target: CivilFieldTarget?
        /// The Characters of the template around `{subject.ref}`, counted once rather than for every value.
        let templateFixedCount: Int

        init(_ rule: CivilFieldRule, compile: (XPathExpression) throws -> Path) rethrows {
            self.rule = rule
            target = CivilFieldTarget(rule.target)
            templateFixedCount = rule.templateParts.map { $0.prefix.count + $0.suffix.count } ?? 0
            read = try rule.read.map(compile)
            each = try rule.each.map { try compile($0.read) }
            fields = try rule.fields.map { try Rule($0, compile: compile) }
            if case .parts(let parts) = rule.date {
                self.parts = (
                    try compile(parts.year.read), try parts.month.map { try compile($0.read) },
                    try parts.day.map { try compile($0.read) }
                )
            } else {
                self.parts = nil
            }
        }
    }

    final class Person {
        let spec: CivilDialect.PersonSpec
        let select: Path
        let rules: [Rule]
        let coded: CodedRelationship?

        init(spec: CivilDialect.PersonSpec, select: Path, rules: [Rule], coded: CodedRelationship?) {
            self.spec = spec
            self.select = select
            self.rules = rules
            self.coded = coded
        }
    }

    /// A relationship told by a coding, with its paths compiled. A class, so that reading one record after
    /// another shares it rather than copying its paths and code list.
    final class CodedRelationship {
        let coding: Path
        let system: Path
        let code: Path
        let list: CodeListMapping

        init(coding: Path, system: Path, code: Path, list: CodeListMapping) {
            self.coding = coding
            self.system = system
            self.code = code
            self.list = list
        }
    }

    let recordRules: [Rule]
    let persons: [Person]
    let startsRecord: Path?

    init(_ dialect: CivilDialect, compile: (XPathExpression) throws -> Path) rethrows {
        recordRules = try dialect.rules(in: "record").map { try Rule($0, compile: compile) }
        persons = try dialect.persons.map { spec in
            var coded: CodedRelationship?
            if case .coded(let coding, _, let system, _, let code, _, let list) = spec.relationship {
                coded = CodedRelationship(
                    coding: try compile(coding), system: try compile(system), code: try compile(code), list: list)
            }
            return Person(
                spec: spec, select: try compile(spec.select),
                rules: try dialect.rules(in: spec.role).map { try Rule($0, compile: compile) }, coded: coded)
        }
        startsRecord = try dialect.envelope?.startsRecord.map(compile)
    }
}

/// One record's nodes as `CivilRecordAssembler` reads them.
protocol CivilRecordSource {
    associatedtype Node: Hashable
    associatedtype Path
    associatedtype Marks: CivilNodeMarks where Marks.Node == Node

    /// The synthetic element above the record's top-level elements.
    var root: Node { get }
    func nodes(_ path: Path, from node: Node) -> [Node]
    func forEachNode(_ path: Path, from node: Node, _ body: (Node) -> Void)
    func firstNode(_ path: Path, from node: Node) -> Node?
    /// An empty set of this record's nodes.
    func makeMarks() -> Marks
    /// An attribute's value, or an element's text.
    func text(_ node: Node) -> String
    /// `text(node)` without leading and trailing XML whitespace.
    func trimmedText(_ node: Node) -> String
    func localName(_ node: Node) -> String
    func isElement(_ node: Node) -> Bool
    /// The first of an element's children (elements and text runs in document order).
    func firstChild(_ node: Node) -> Node?
    /// The first of an element's attributes; nil for any other node.
    func firstAttribute(_ node: Node) -> Node?
    /// The next child of the same parent, or an attribute's next attribute.
    func nextSibling(_ node: Node) -> Node?
    /// An element's parent; nil for the root.
    func parent(_ node: Node) -> Node?
}

/// A set of a record's nodes (those the rules read).
protocol CivilNodeMarks {
    associatedtype Node
    mutating func mark(_ node: Node)
    func isMarked(_ node: Node) -> Bool
}

/// Marks on libxml2 nodes, by address.
struct PointerMarks: CivilNodeMarks {
    var marked = Set<UnsafeMutableRawPointer>()

    mutating func mark(_ node: UnsafeMutableRawPointer) { marked.insert(node) }

    func isMarked(_ node: UnsafeMutableRawPointer) -> Bool { marked.contains(node) }
}

/// Marks on a fragment's nodes, one flag a node.
struct FragmentNodeMarks: CivilNodeMarks {
    var flags: [Bool]

    mutating func mark(_ node: Int32) { flags[Int(node)] = true }

    func isMarked(_ node: Int32) -> Bool { flags[Int(node)] }
}

/// A record copied into a libxml2 document, for dialects whose paths need libxml2's full XPath.
struct LibXMLRecordSource: CivilRecordSource {
    let document: XMLRecordDocument

    func forEachNode(
        _ path: XPathExpression, from node: UnsafeMutableRawPointer, _ body: (UnsafeMutableRawPointer) -> Void
    ) {
        for found in nodes(path, from: node) { body(found) }
    }

    func firstNode(_ path: XPathExpression, from node: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
        nodes(path, from: node).first
    }

    func makeMarks() -> PointerMarks { PointerMarks() }

    var root: UnsafeMutableRawPointer { UnsafeMutableRawPointer(document.root) }

    private func node(_ pointer: UnsafeMutableRawPointer) -> xmlNodePtr {
        pointer.assumingMemoryBound(to: xmlNode.self)
    }

    func nodes(_ path: XPathExpression, from node: UnsafeMutableRawPointer) -> [UnsafeMutableRawPointer] {
        document.nodes(path, from: self.node(node)).map { UnsafeMutableRawPointer($0) }
    }

    func text(_ node: UnsafeMutableRawPointer) -> String { xmlNodeText(self.node(node)) }

    func trimmedText(_ node: UnsafeMutableRawPointer) -> String { text(node).trimmedWhitespace }

    func localName(_ node: UnsafeMutableRawPointer) -> String { xmlNodeLocalName(self.node(node)) }

    func isElement(_ node: UnsafeMutableRawPointer) -> Bool { self.node(node).pointee.type == XML_ELEMENT_NODE }

    func firstChild(_ node: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
        self.node(node).pointee.children.map { UnsafeMutableRawPointer($0) }
    }

    func firstAttribute(_ node: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
        guard self.node(node).pointee.type == XML_ELEMENT_NODE else { return nil }
        return self.node(node).pointee.properties.map { UnsafeMutableRawPointer($0) }
    }

    func parent(_ node: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
        self.node(node).pointee.parent.map { UnsafeMutableRawPointer($0) }
    }

    func nextSibling(_ node: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
        // An attribute (`xmlAttr`) begins like every other node, with its type.
        if self.node(node).pointee.type == XML_ATTRIBUTE_NODE {
            return node.assumingMemoryBound(to: xmlAttr.self).pointee.next.map { UnsafeMutableRawPointer($0) }
        }
        return self.node(node).pointee.next.map { UnsafeMutableRawPointer($0) }
    }
}

/// A record joined from fragments under a synthetic root (node 0), for dialects within `XMLFragmentPath`.
struct FragmentRecordSource: CivilRecordSource {
    let fragment: XMLFragment
    /// The parse's names so far (a copy: the parse may add names while another thread reads this record).
    let names: [XMLNameTable.Name]

    var root: Int32 { 0 }

    func nodes(_ path: XMLFragmentPath, from node: Int32) -> [Int32] {
        path.select(from: node, in: fragment)
    }

    func forEachNode(_ path: XMLFragmentPath, from node: Int32, _ body: (Int32) -> Void) {
        path.forEach(from: node, in: fragment, body)
    }

    func firstNode(_ path: XMLFragmentPath, from node: Int32) -> Int32? {
        path.first(from: node, in: fragment)
    }

    func makeMarks() -> FragmentNodeMarks {
        FragmentNodeMarks(flags: Array(repeating: false, count: fragment.nodes.count))
    }

    func text(_ node: Int32) -> String { fragment.text(node) }

    func trimmedText(_ node: Int32) -> String { fragment.trimmedText(node) }

    func localName(_ node: Int32) -> String {
        let name = Int(fragment.nodes[Int(node)].name)
        return name >= 0 && name < names.count ? names[name].localName : ""
    }

    func isElement(_ node: Int32) -> Bool { fragment.nodes[Int(node)].kind == .element }

    func firstChild(_ node: Int32) -> Int32? {
        let child = fragment.nodes[Int(node)].firstChild
        return child >= 0 ? child : nil
    }

    func firstAttribute(_ node: Int32) -> Int32? {
        let attribute = fragment.nodes[Int(node)].firstAttribute
        return attribute >= 0 ? attribute : nil
    }

    func nextSibling(_ node: Int32) -> Int32? {
        let next = fragment.nodes[Int(node)].nextSibling
        return next >= 0 ? next : nil
    }

    func parent(_ node: Int32) -> Int32? {
        let parent = fragment.nodes[Int(node)].parent
        return parent >= 0 ? parent : nil
    }
}
