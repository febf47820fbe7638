import CLibXML2

/// Walks an XML document as a stream with libxml2's `xmlTextReader`, handing out one top-level element at a
/// time, so that a multi-gigabyte file is read with the memory of one record.
///
/// The parse is hardened for input that comes from outside: no DTD is loaded and a document that carries one
/// is refused (so no external entity is resolved and no entity bomb is expanded), entities are not
/// substituted, the network is forbidden, and depth, record size and document size are bounded by
/// `XMLInputLimits`. Every failure is an `InputError.malformed` naming the input and the line.
public final class XMLElementStream {
    /// An element expanded in place; `node` is valid until the stream moves on.
    public struct Element {
        public let node: xmlNodePtr
        public let localName: String
        public let namespace: String?
        public let line: Int
        /// The element's position among its siblings of interest, from 0.
        public let index: Int
    }

    public let name: String
    public let limits: XMLInputLimits
    private let bridge: XMLInputBridge
    private let reader: xmlTextReaderPtr
    private let errors = XMLErrorCollector()
    private var childIndex = 0
    private var positionedOnChild = false
    private var rootDepthDone = false

    /// Opens `source` for streaming.
    public init(source: any ByteSource, limits: XMLInputLimits = .standard) throws {
        name = source.name
        self.limits = limits
        bridge = XMLInputBridge(source: source, limit: limits.maximumDocumentBytes)
        let context = Unmanaged.passUnretained(bridge).toOpaque()
        guard
            let reader = xmlReaderForIO(
                xmlInputBridgeRead, xmlInputBridgeClose, context, source.name, nil, XMLElementStream.parseOptions)
        else {
            throw InputError.unreadable(source.name, reason: "the XML reader could not be created")
        }
        self.reader = reader
        xmlTextReaderSetStructuredErrorHandler(
            reader, xmlErrorCollectorHandler, Unmanaged.passUnretained(errors).toOpaque())
    }

    deinit {
        xmlFreeTextReader(reader)
    }

    /// No DTD loading, no entity substitution, no network, no default attributes from a DTD; warnings off.
    static let parseOptions = Int32(
        XML_PARSE_NONET.rawValue | XML_PARSE_NOWARNING.rawValue | XML_PARSE_NOCDATA.rawValue)

    /// Moves to the root element and returns it (not expanded).
    public func root() throws -> (localName: String, namespace: String?, line: Int) {
        while true {
            let status = xmlTextReaderRead(reader)
            if status != 1 { throw failure(status == 0 ? "the document has no root element" : nil) }
            let type = xmlTextReaderNodeType(reader)
            if type == Int32(XML_READER_TYPE_DOCUMENT_TYPE.rawValue) {
                throw malformed(line: currentLine, "a DTD (<!DOCTYPE>) is not accepted: entities are refused")
            }
            if type == Int32(XML_READER_TYPE_ELEMENT.rawValue) {
                return (currentLocalName, currentNamespace, currentLine)
            }
        }
    }

    /// Expands the root element whole, for a document that is a single record.
    public func expandRoot() throws -> Element {
        try expandCurrent(index: 0)
    }

    /// The next child element of the root, expanded, or nil at the root's end.
    public func nextChild() throws -> Element? {
        while true {
            let status: Int32
            if positionedOnChild {
                status = xmlTextReaderNext(reader)
                positionedOnChild = false
            } else {
                status = xmlTextReaderRead(reader)
            }
            if status == 0 { return nil }
            if status != 1 { throw failure(nil) }
            let depth = xmlTextReaderDepth(reader)
            let type = xmlTextReaderNodeType(reader)
            if depth == 0 && type == Int32(XML_READER_TYPE_END_ELEMENT.rawValue) { return try finishDocument() }
            guard depth == 1, type == Int32(XML_READER_TYPE_ELEMENT.rawValue) else { continue }
            let element = try expandCurrent(index: childIndex)
            childIndex += 1
            positionedOnChild = true
            return element
        }
    }

    /// Reads to the end so that a truncated or malformed tail is reported, not ignored.
    private func finishDocument() throws -> Element? {
        while true {
            let status = xmlTextReaderRead(reader)
            if status == 0 { return nil }
            if status != 1 { throw failure(nil) }
        }
    }

    private func expandCurrent(index: Int) throws -> Element {
        let before = xmlTextReaderByteConsumed(reader)
        guard let node = xmlTextReaderExpand(reader) else { throw failure(nil) }
        let line = Int(xmlGetLineNo(node))
        let size = Int(xmlTextReaderByteConsumed(reader) - before)
        if size > limits.maximumRecordBytes {
            throw malformed(line: line, "a record exceeds the limit of \(limits.maximumRecordBytes) bytes")
        }
        try checkTree(node, depth: Int(xmlTextReaderDepth(reader)), line: line)
        return Element(node: node, localName: currentLocalName, namespace: currentNamespace, line: line, index: index)
    }

    /// Enforces the depth and text limits over an expanded subtree, iteratively so that depth cannot overflow.
    private func checkTree(_ start: xmlNodePtr, depth startDepth: Int, line: Int) throws {
        var stack: [(xmlNodePtr, Int)] = [(start, startDepth)]
        while let (node, depth) = stack.popLast() {
            if depth > limits.maximumDepth {
                throw malformed(line: Int(xmlGetLineNo(node)), "elements nest deeper than \(limits.maximumDepth)")
            }
            if node.pointee.type == XML_TEXT_NODE, let content = node.pointee.content,
                xmlStrlen(content) > limits.maximumTextBytes
            {
                throw malformed(
                    line: Int(xmlGetLineNo(node)), "a text node exceeds the limit of \(limits.maximumTextBytes) bytes")
            }
            var attribute = node.pointee.type == XML_ELEMENT_NODE ? node.pointee.properties : nil
            while let current = attribute {
                if let text = current.pointee.children?.pointee.content, xmlStrlen(text) > limits.maximumTextBytes {
                    throw malformed(
                        line: Int(xmlGetLineNo(node)),
                        "an attribute value exceeds the limit of \(limits.maximumTextBytes) bytes")
                }
                attribute = current.pointee.next
            }
            var child = node.pointee.children
            while let current = child {
                stack.append((current, depth + 1))
                child = current.pointee.next
            }
        }
    }

    private var currentLine: Int {
        Int(xmlTextReaderGetParserLineNumber(reader))
    }

    private var currentLocalName: String {
        xmlTextReaderConstLocalName(reader).map { String(cString: $0) } ?? ""
    }

    private var currentNamespace: String? {
        xmlTextReaderConstNamespaceUri(reader).map { String(cString: $0) }
    }

    private func malformed(line: Int, _ reason: String) -> InputError {
        .malformed(RecordLocation(source: name, line: line), reason: reason)
    }

    /// The error for a failed read: the byte source's own failure, else libxml2's first error, with its line.
    private func failure(_ fallback: String?) -> any Error {
        if let failure = bridge.failure { return failure }
        if let first = errors.first {
            return malformed(line: first.line > 0 ? first.line : currentLine, first.message)
        }
        return malformed(line: currentLine, fallback ?? "the document is not well-formed XML")
    }
}

/// Feeds libxml2 from a `ByteSource` and stops it when the document grows past its size limit.
final class XMLInputBridge {
    let source: any ByteSource
    let limit: Int
    var bytesRead = 0
    var failure: (any Error)?

    init(source: any ByteSource, limit: Int) {
        self.source = source
        self.limit = limit
    }
}

private func xmlInputBridgeRead(
    _ context: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ length: Int32
) -> Int32 {
    guard let context, let buffer, length > 0 else { return -1 }
    let bridge = Unmanaged<XMLInputBridge>.fromOpaque(context).takeUnretainedValue()
    do {
        let count = try bridge.source.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: Int(length)))
        bridge.bytesRead += count
        if bridge.bytesRead > bridge.limit {
            bridge.failure = InputError.malformed(
                RecordLocation(source: bridge.source.name),
                reason: "the document exceeds the limit of \(bridge.limit) bytes")
            return -1
        }
        return Int32(count)
    } catch {
        bridge.failure = error
        return -1
    }
}

private func xmlInputBridgeClose(_ context: UnsafeMutableRawPointer?) -> Int32 {
    0
}

/// libxml2's errors for one parse, of which the first is reported (later ones follow from it).
final class XMLErrorCollector {
    struct Entry {
        let message: String
        let line: Int
    }

    private(set) var entries: [Entry] = []

    var first: Entry? { entries.first }

    func add(message: String, line: Int) {
        guard entries.count < 20 else { return }
        entries.append(Entry(message: message, line: line))
    }
}

func xmlErrorCollectorHandler(_ context: UnsafeMutableRawPointer?, _ error: xmlErrorPtr?) {
    guard let context, let error else { return }
    let collector = Unmanaged<XMLErrorCollector>.fromOpaque(context).takeUnretainedValue()
    guard error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
    let message = error.pointee.message.map { String(cString: $0) } ?? "XML error \(error.pointee.code)"
    collector.add(
        message: String(message.reversed().drop { $0.isWhitespace }.reversed()),
        line: Int(error.pointee.line))
}
