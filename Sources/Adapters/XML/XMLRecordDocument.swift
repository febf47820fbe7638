import CLibXML2

/// A small in-memory document holding one record's elements, copied out of the stream, on which the
/// dialect's XPaths are evaluated.
///
/// One is reused for every record of a stream: `reset()` frees the previous record's nodes, so memory holds
/// one record at a time. The copies sit under a synthetic `<record>` element, so that a dialect's paths start
/// from the record's own top-level elements whether they came from a Bundle's entries or a whole document.
public final class XMLRecordDocument {
    let document: xmlDocPtr
    let context: xmlXPathContextPtr
    /// The synthetic `<record>` element, the context node of record-level paths.
    public let root: xmlNodePtr

    /// Creates the document, with `namespaces` (prefix → URI) registered for every evaluation.
    public init(namespaces: [(prefix: String, uri: String)]) throws {
        guard let document = xmlNewDoc("1.0") else { throw XMLRecordDocumentError.outOfMemory }
        guard let root = xmlNewDocNode(document, nil, "record", nil), let context = xmlXPathNewContext(document)
        else {
            xmlFreeDoc(document)
            throw XMLRecordDocumentError.outOfMemory
        }
        xmlDocSetRootElement(document, root)
        for (prefix, uri) in namespaces { xmlXPathRegisterNs(context, prefix, uri) }
        self.document = document
        self.root = root
        self.context = context
    }

    deinit {
        xmlXPathFreeContext(context)
        xmlFreeDoc(document)
    }

    /// Frees the current record's elements.
    public func reset() {
        while let child = root.pointee.children {
            xmlUnlinkNode(child)
            xmlFreeNode(child)
        }
    }

    /// Copies `node` (deeply, namespaces reconciled) under the record element and returns the copy.
    @discardableResult
    public func append(copyOf node: xmlNodePtr) throws -> xmlNodePtr {
        guard let copy = xmlDocCopyNode(node, document, 1) else { throw XMLRecordDocumentError.outOfMemory }
        xmlAddChild(root, copy)
        return copy
    }

    /// The nodes `expression` selects from `node`.
    public func nodes(_ expression: XPathExpression, from node: xmlNodePtr) -> [xmlNodePtr] {
        context.pointee.node = node
        guard let result = xmlXPathCompiledEval(expression.compiled, context) else { return [] }
        defer { xmlXPathFreeObject(result) }
        guard result.pointee.type == XPATH_NODESET, let set = result.pointee.nodesetval else { return [] }
        var found: [xmlNodePtr] = []
        found.reserveCapacity(Int(set.pointee.nodeNr))
        for position in 0..<Int(set.pointee.nodeNr) {
            if let node = set.pointee.nodeTab[position] { found.append(node) }
        }
        return found
    }

    /// Whether `expression` selects anything (or is true) from `node`.
    public func matches(_ expression: XPathExpression, from node: xmlNodePtr) -> Bool {
        context.pointee.node = node
        guard let result = xmlXPathCompiledEval(expression.compiled, context) else { return false }
        defer { xmlXPathFreeObject(result) }
        return xmlXPathCastToBoolean(result) != 0
    }
}

/// A tree node's text: an attribute's value, or an element's concatenated text.
public func xmlNodeText(_ node: xmlNodePtr) -> String {
    if node.pointee.type == XML_ATTRIBUTE_NODE || node.pointee.type == XML_ELEMENT_NODE {
        // The common case, a single text child, without an allocation by libxml2.
        if let child = node.pointee.children, child.pointee.next == nil, child.pointee.type == XML_TEXT_NODE,
            let content = child.pointee.content
        {
            return String(cString: content)
        }
    }
    // Concatenates the descendant text as libxml2's xmlNodeGetContent would, without its allocation to free.
    var text = ""
    var stack: [xmlNodePtr] = []
    var child = node.pointee.children
    while let current = child {
        stack.append(current)
        child = current.pointee.next
    }
    stack.reverse()
    while let current = stack.popLast() {
        if current.pointee.type == XML_TEXT_NODE || current.pointee.type == XML_CDATA_SECTION_NODE,
            let content = current.pointee.content
        {
            text += String(cString: content)
        }
        var children: [xmlNodePtr] = []
        var next = current.pointee.children
        while let found = next {
            children.append(found)
            next = found.pointee.next
        }
        stack.append(contentsOf: children.reversed())
    }
    return text
}

/// An element's local name.
public func xmlNodeLocalName(_ node: xmlNodePtr) -> String {
    node.pointee.name.map { String(cString: $0) } ?? ""
}

/// The failure to allocate libxml2's structures.
public enum XMLRecordDocumentError: Error, Sendable, CustomStringConvertible {
    case outOfMemory

    public var description: String { "libxml2 could not allocate a document" }
}
