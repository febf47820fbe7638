import CLibXML2

/// Writes an XML document to a `ByteSink` with libxml2's `xmlTextWriter`, which escapes text and attribute
/// values and keeps the output well-formed.
///
/// Namespaces are declared once, on the root element; every element is then written with its prefix, or
/// without one when its prefix is the document's default namespace.
public final class XMLDocumentWriter {
    private let bridge: XMLOutputBridge
    private let writer: xmlTextWriterPtr
    private let defaultPrefix: String?
    private var depth = 0

    /// Prepares a document on `sink`; `defaultPrefix` names the namespace written as `xmlns="…"`.
    public init(sink: any ByteSink, defaultPrefix: String?, indent: Bool = true) throws {
        bridge = XMLOutputBridge(sink: sink)
        let context = Unmanaged.passUnretained(bridge).toOpaque()
        guard let buffer = xmlOutputBufferCreateIO(xmlOutputBridgeWrite, xmlOutputBridgeClose, context, nil),
            let writer = xmlNewTextWriter(buffer)
        else { throw OutputError.unwritable(bridge.name, reason: "the XML writer could not be created") }
        self.writer = writer
        self.defaultPrefix = defaultPrefix
        if indent {
            xmlTextWriterSetIndent(writer, 1)
            xmlTextWriterSetIndentString(writer, "  ")
        }
    }

    deinit {
        xmlFreeTextWriter(writer)
    }

    /// Writes the XML declaration.
    public func startDocument() throws {
        try check(xmlTextWriterStartDocument(writer, "1.0", "UTF-8", nil))
    }

    /// Opens an element; on the root, `namespaces` are declared.
    public func startElement(_ name: String, namespaces: [(prefix: String, uri: String)] = []) throws {
        try check(xmlTextWriterStartElement(writer, written(name)))
        for (prefix, uri) in namespaces {
            try check(xmlTextWriterWriteAttribute(writer, prefix == defaultPrefix ? "xmlns" : "xmlns:\(prefix)", uri))
        }
        depth += 1
    }

    public func endElement() throws {
        try check(xmlTextWriterEndElement(writer))
        depth -= 1
    }

    /// Writes a built element and everything below it.
    public func write(_ element: XMLOutputElement) throws {
        try startElement(element.name)
        for (name, value) in element.attributes { try check(xmlTextWriterWriteAttribute(writer, written(name), value)) }
        if let text = element.text { try check(xmlTextWriterWriteString(writer, text)) }
        for child in element.children { try write(child) }
        try endElement()
    }

    /// Closes every open element and flushes the document to the sink.
    public func endDocument() throws {
        try check(xmlTextWriterEndDocument(writer))
        try flush()
    }

    /// Pushes what libxml2 buffered into the sink.
    public func flush() throws {
        try check(xmlTextWriterFlush(writer))
        try bridge.sink.flush()
    }

    private func written(_ name: String) -> String {
        guard let defaultPrefix, name.hasPrefix(defaultPrefix + ":") else { return name }
        return String(name.dropFirst(defaultPrefix.count + 1))
    }

    private func check(_ status: Int32) throws {
        if let failure = bridge.failure { throw failure }
        if status < 0 { throw OutputError.unwritable(bridge.name, reason: "libxml2 could not write the XML") }
    }
}

/// Hands libxml2's output to a `ByteSink`, keeping the sink's error for the writer to throw.
final class XMLOutputBridge {
    let sink: any ByteSink
    var failure: (any Error)?

    init(sink: any ByteSink) {
        self.sink = sink
    }

    var name: String {
        (sink as? FileOutput)?.name ?? "output"
    }
}

private func xmlOutputBridgeWrite(_ context: UnsafeMutableRawPointer?, _ buffer: UnsafePointer<CChar>?, _ length: Int32)
    -> Int32
{
    guard let context, let buffer else { return -1 }
    let bridge = Unmanaged<XMLOutputBridge>.fromOpaque(context).takeUnretainedValue()
    do {
        try bridge.sink.write(UnsafeRawBufferPointer(start: buffer, count: Int(length)))
        return length
    } catch {
        bridge.failure = error
        return -1
    }
}

private func xmlOutputBridgeClose(_ context: UnsafeMutableRawPointer?) -> Int32 {
    0
}
