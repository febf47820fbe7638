/// A compact, self-contained copy of one XML element's subtree (a Bundle entry, or a whole record document)
/// as flat arrays: elements, attributes and text runs as nodes in document order, names as small integers
/// from an `XMLNameTable`, and every text in one byte buffer.
///
/// `XMLFragmentParser` fills one per record element straight from libxml2's SAX2 callbacks, without building
/// libxml2's own tree; `XMLFragmentPath` evaluates a dialect's paths on it. Several fragments are joined under
/// one synthetic root with `append(_:)` to make one record.
public struct XMLFragment: Sendable {
    public enum Kind: UInt8, Sendable {
        case element
        case attribute
        case text
    }

    /// One node. Indexes are positions in `nodes`; -1 means none.
    public struct Node: Sendable {
        public var kind: Kind
        /// An element's following indentation (a line feed and spaces, the element's next sibling in the
        /// document), held as its length rather than as a text node; 0 for none. See `appendText`.
        public var indentationAfter: UInt8 = 0
        /// An element's leading indentation, before its first child element, held the same way.
        public var indentationFirst: UInt8 = 0
        /// The element's or attribute's name in the name table; -1 for text.
        public var name: Int32
        public var parent: Int32
        public var firstChild: Int32 = -1
        public var lastChild: Int32 = -1
        public var nextSibling: Int32 = -1
        public var firstAttribute: Int32 = -1
        /// An attribute's value or a text run's content, in `bytes`.
        public var textStart: Int32 = 0
        public var textLength: Int32 = 0
        public var line: Int32
    }

    public private(set) var nodes: [Node] = []
    public private(set) var bytes: [UInt8] = []
    /// Where `bytes` holds `Self.indentation`, once a text run has pointed into it; -1 before.
    private var indentationStart: Int32 = -1

    /// A line feed and 64 spaces. The text runs between elements are mostly indentation, a line feed and
    /// some spaces; such a run points into one copy of this in `bytes` rather than adding its own bytes,
    /// whose copying showed in profiles. Its text reads the same.
    private static let indentation: [UInt8] = [0x0A] + Array(repeating: 0x20, count: 64)

    public init() {}

    /// The line of the fragment's first element.
    public var line: Int { nodes.isEmpty ? 0 : Int(nodes[0].line) }

    /// Makes room for `nodes` nodes and `bytes` bytes of text.
    public mutating func reserveCapacity(nodes count: Int, bytes byteCount: Int) {
        nodes.reserveCapacity(count)
        bytes.reserveCapacity(byteCount)
    }

    /// Empties the fragment, keeping its storage for the next one.
    public mutating func removeAll() {
        nodes.removeAll(keepingCapacity: true)
        bytes.removeAll(keepingCapacity: true)
        indentationStart = -1
    }

    // MARK: - Building

    /// Adds an element as the last child of `parent` (-1 for a root) and returns its index.
    @discardableResult
    public mutating func appendElement(name: Int32, parent: Int32, line: Int32) -> Int32 {
        let index = Int32(nodes.count)
        nodes.append(Node(kind: .element, name: name, parent: parent, line: line))
        link(index, under: parent)
        return index
    }

    /// Adds an attribute to `element`, after its earlier attributes.
    public mutating func appendAttribute(name: Int32, element: Int32, value: UnsafeBufferPointer<UInt8>) {
        let index = Int32(nodes.count)
        var node = Node(kind: .attribute, name: name, parent: element, line: nodes[Int(element)].line)
        node.textStart = Int32(bytes.count)
        node.textLength = Int32(value.count)
        bytes.append(contentsOf: value)
        nodes.append(node)
        nodes.withUnsafeMutableBufferPointer { nodes in
            if nodes[Int(element)].firstAttribute < 0 {
                nodes[Int(element)].firstAttribute = index
            } else {
                var last = nodes[Int(element)].firstAttribute
                while nodes[Int(last)].nextSibling >= 0 { last = nodes[Int(last)].nextSibling }
                nodes[Int(last)].nextSibling = index
            }
        }
    }

    /// Adds text under `element`, joined to the text run before it when nothing came between, as libxml2
    /// merges adjacent text; returns the run's length so far.
    ///
    /// Indentation that follows a child element, or that `element` begins with, is held as that child's
    /// `indentationAfter` (or `element`'s `indentationFirst`) rather than as a node: most text runs are such
    /// indentation, and path walks stepped over their nodes. `text` gives it back where it stood, so an
    /// element mixing text and elements reads the same; should more text follow it directly, it becomes the
    /// text node it would have been, and the text joins it.
    @discardableResult
    public mutating func appendText(_ text: UnsafeBufferPointer<UInt8>, element: Int32, line: Int32) -> Int {
        var last = nodes[Int(element)].lastChild
        if last < 0 || nodes[Int(last)].kind == .element {
            let held = last < 0 ? nodes[Int(element)].indentationFirst : nodes[Int(last)].indentationAfter
            if held == 0, Self.isIndentation(text) {
                if last < 0 {
                    nodes[Int(element)].indentationFirst = UInt8(text.count)
                } else {
                    nodes[Int(last)].indentationAfter = UInt8(text.count)
                }
                return text.count
            }
            if held > 0 {
                if last < 0 {
                    nodes[Int(element)].indentationFirst = 0
                } else {
                    nodes[Int(last)].indentationAfter = 0
                }
                last = appendIndentation(count: Int(held), element: element, line: line)
            }
        }
        if last >= 0, last == Int32(nodes.count - 1), nodes[Int(last)].kind == .text {
            let run = nodes[Int(last)]
            if run.textStart + run.textLength != Int32(bytes.count) {
                // The run points into the indentation: its own copy goes last, for the text to follow it.
                nodes[Int(last)].textStart = Int32(bytes.count)
                bytes.append(contentsOf: Self.indentation[0..<Int(run.textLength)])
            }
            bytes.append(contentsOf: text)
            nodes[Int(last)].textLength += Int32(text.count)
            return Int(nodes[Int(last)].textLength)
        }
        let index = Int32(nodes.count)
        var node = Node(kind: .text, name: -1, parent: element, line: line)
        node.textLength = Int32(text.count)
        node.textStart = Int32(bytes.count)
        bytes.append(contentsOf: text)
        nodes.append(node)
        link(index, under: element)
        return text.count
    }

    /// Adds a text node of the first `count` bytes of `Self.indentation` under `element`, pointing into the one
    /// copy of it in `bytes`; returns its index.
    private mutating func appendIndentation(count: Int, element: Int32, line: Int32) -> Int32 {
        if indentationStart < 0 {
            indentationStart = Int32(bytes.count)
            bytes.append(contentsOf: Self.indentation)
        }
        let index = Int32(nodes.count)
        var node = Node(kind: .text, name: -1, parent: element, line: line)
        node.textStart = indentationStart
        node.textLength = Int32(count)
        nodes.append(node)
        link(index, under: element)
        return index
    }

    /// Whether `text` is a line feed and at most 64 spaces, a prefix of `Self.indentation`.
    private static func isIndentation(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = text.baseAddress, text.count > 0, text.count <= 65, base[0] == 0x0A else { return false }
        // Eight spaces at a time: this runs on every text run between elements.
        let raw = UnsafeRawPointer(base)
        let spaces: UInt64 = 0x2020_2020_2020_2020
        guard text.count > 8 else {
            for position in 1..<text.count where base[position] != 0x20 { return false }
            return true
        }
        var position = 1
        while position + 8 < text.count {
            if raw.loadUnaligned(fromByteOffset: position, as: UInt64.self) != spaces { return false }
            position += 8
        }
        // The last eight bytes, overlapping those already read, rather than the rest one by one.
        return raw.loadUnaligned(fromByteOffset: text.count - 8, as: UInt64.self) == spaces
    }

    /// Appends a copy of `other`'s nodes, its root becoming the last child of `parent`.
    public mutating func append(_ other: XMLFragment, under parent: Int32) {
        let offset = Int32(nodes.count)
        let byteOffset = Int32(bytes.count)
        bytes.append(contentsOf: other.bytes)
        // Copied whole, then renumbered in place: appending node by node checked the array's room each time.
        nodes.append(contentsOf: other.nodes)
        nodes.withUnsafeMutableBufferPointer { nodes in
            for index in Int(offset)..<nodes.count {
                // Renumbered in a local copy, written back once; none (-1) stays none.
                var node = nodes[index]
                node.parent = node.parent < 0 ? parent : node.parent &+ offset
                node.firstChild &+= node.firstChild < 0 ? 0 : offset
                node.lastChild &+= node.lastChild < 0 ? 0 : offset
                node.nextSibling &+= node.nextSibling < 0 ? 0 : offset
                node.firstAttribute &+= node.firstAttribute < 0 ? 0 : offset
                node.textStart &+= byteOffset
                nodes[index] = node
            }
        }
        if !other.nodes.isEmpty { link(offset, under: parent) }
    }

    private mutating func link(_ index: Int32, under parent: Int32) {
        guard parent >= 0 else { return }
        // Through one buffer: each subscript write checked the array's uniqueness, for every node of a parse.
        nodes.withUnsafeMutableBufferPointer { nodes in
            let last = nodes[Int(parent)].lastChild
            if last < 0 {
                nodes[Int(parent)].firstChild = index
            } else {
                nodes[Int(last)].nextSibling = index
            }
            nodes[Int(parent)].lastChild = index
        }
    }

    // MARK: - Reading

    /// An attribute's value, a text run's content, or an element's text: its descendant text runs joined in
    /// document order, as libxml2's `xmlNodeGetContent` gives it.
    public func text(_ index: Int32) -> String {
        let node = nodes[Int(index)]
        if node.kind != .element { return string(node) }
        let first = node.firstChild
        if node.indentationFirst == 0 {
            if first < 0 { return "" }
            if nodes[Int(first)].nextSibling < 0, nodes[Int(first)].kind == .text {
                return string(nodes[Int(first)])
            }
        }
        var text: [UInt8] = []
        appendDescendantText(of: index, to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// `text(index)` without leading and trailing XML whitespace (space, tab, carriage return, line feed); an
    /// attribute's value or a text run is trimmed in place, before a string is made of it.
    public func trimmedText(_ index: Int32) -> String {
        let node = nodes[Int(index)]
        if node.kind == .element {
            // An element without text, or with one text run, as most are: no string made before the trimming.
            let first = node.firstChild
            if first < 0 { return "" }
            if nodes[Int(first)].nextSibling < 0, nodes[Int(first)].kind == .text { return trimmedText(first) }
            return text(index).trimmedWhitespace
        }
        return bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return "" }
            var start = Int(node.textStart)
            var end = start + Int(node.textLength)
            while start < end, Self.isSpace(base[start]) { start += 1 }
            while end > start, Self.isSpace(base[end - 1]) { end -= 1 }
            return String(decoding: UnsafeBufferPointer(start: base + start, count: end - start), as: UTF8.self)
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private func string(_ node: Node) -> String {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return "" }
            return String(
                decoding: UnsafeBufferPointer(start: base + Int(node.textStart), count: Int(node.textLength)),
                as: UTF8.self)
        }
    }

    private func appendDescendantText(of index: Int32, to text: inout [UInt8]) {
        text.append(contentsOf: Self.indentation[0..<Int(nodes[Int(index)].indentationFirst)])
        var child = nodes[Int(index)].firstChild
        while child >= 0 {
            let node = nodes[Int(child)]
            if node.kind == .text {
                text.append(contentsOf: bytes[Int(node.textStart)..<Int(node.textStart + node.textLength)])
            } else if node.kind == .element {
                appendDescendantText(of: child, to: &text)
                text.append(contentsOf: Self.indentation[0..<Int(node.indentationAfter)])
            }
            child = node.nextSibling
        }
    }
}
