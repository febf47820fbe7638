import CLibXML2

/// Reads an XML document with libxml2's SAX2 parser and hands out its records as `XMLFragment`s: each
/// child of the root (a Bundle's entries), or the root whole (a document that is one record).
///
/// No tree is built in libxml2 and no node is allocated per element, which makes this several times faster
/// than `XMLElementStream`'s `xmlTextReader`; the hardening is the same: a document with a DTD is refused at
/// its `<!DOCTYPE>` (so no entity is declared, resolved or expanded), the network is forbidden, and depth,
/// text, record and document sizes are bounded by `XMLInputLimits`. Every failure is an
/// `InputError.malformed` naming the input and the line.
public final class XMLFragmentParser {
    /// What the caller does with the root element: take its children one by one, or the whole of it.
    public enum RootHandling {
        case children
        case whole
    }

    public let name: String
    public let limits: XMLInputLimits
    public let names: XMLNameTable
    let source: any ByteSource

    /// Prepares to read `source`; `names` may already hold a dialect's names.
    public init(source: any ByteSource, names: XMLNameTable = XMLNameTable(), limits: XMLInputLimits = .standard) {
        self.source = source
        self.name = source.name
        self.names = names
        self.limits = limits
    }

    /// Parses the whole document. `root` is told the root element's name and line and says how to read it;
    /// `record` receives each record fragment in document order (its storage is reused after it returns).
    public func parse(
        root: (_ name: Int32, _ line: Int) throws -> RootHandling,
        record: (inout XMLFragment) throws -> Void
    ) throws {
        try withoutActuallyEscaping(root) { root in
            try withoutActuallyEscaping(record) { record in
                let state = XMLFragmentParserState(parser: self, root: root, record: record)
                try withExtendedLifetime(state) { try state.run() }
            }
        }
    }
}

/// The parse in progress, reached from libxml2's callbacks through their context pointer.
final class XMLFragmentParserState {
    let parser: XMLFragmentParser
    let onRoot: (Int32, Int) throws -> XMLFragmentParser.RootHandling
    let onRecord: (inout XMLFragment) throws -> Void
    var context: xmlParserCtxtPtr?
    var failure: (any Error)?
    let errors = XMLErrorCollector()
    var sawRoot = false
    /// Whether a `<!DOCTYPE>` began; it is refused once read, with the line that closes it.
    var sawDocumentType = false

    // The callbacks touch these for every element; `@exclusivity(unchecked)` spares the dynamic checks of
    // class properties, which showed in profiles, and is safe as one thread runs the parse with no reentry.

    /// The depth of the element being read, the root being 0.
    @exclusivity(unchecked) var depth = -1
    /// The depth at which fragments begin: 1 for the root's children, 0 for the root itself; -1 before the root.
    @exclusivity(unchecked) var fragmentDepth = -1
    @exclusivity(unchecked) var fragment = XMLFragment()
    /// The innermost open element of the fragment, -1 for none; the others are its ancestors, reached through the
    /// nodes' parents rather than kept on a stack, whose appends and removals showed in profiles.
    @exclusivity(unchecked) var current: Int32 = -1
    var fragmentStartByte = 0
    @exclusivity(unchecked) private var nameCache: [NamePointers: Int32] = [:]
    /// The last names looked up, by the address of libxml2's interned local name. Room for many more names than
    /// a dialect uses, so that two of them rarely share a slot and push each other out on every element.
    @exclusivity(unchecked) private var recentNames = [(localName: UInt, namespace: UInt, number: Int32)](
        repeating: (0, 0, -1), count: 1024)
    @exclusivity(unchecked) private var decoded: [UInt8] = []
    /// The bytes read from the source and not yet handed to libxml2, which asks for a few KiB at a time.
    private var input = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    private var inputStart = 0
    private var inputEnd = 0
    private var inputTotal = 0

    struct NamePointers: Hashable {
        let localName: UInt
        let namespace: UInt
    }

    init(
        parser: XMLFragmentParser, root: @escaping (Int32, Int) throws -> XMLFragmentParser.RootHandling,
        record: @escaping (inout XMLFragment) throws -> Void
    ) {
        self.parser = parser
        self.onRoot = root
        self.onRecord = record
    }

    func run() throws {
        var handler = xmlSAXHandler()
        handler.initialized = XML_SAX2_MAGIC
        handler.startElementNs = fragmentStartElement
        handler.endElementNs = fragmentEndElement
        handler.characters = fragmentCharacters
        handler.ignorableWhitespace = fragmentCharacters
        handler.cdataBlock = fragmentCharacters
        handler.internalSubset = fragmentInternalSubset
        handler.externalSubset = fragmentExternalSubset
        handler.serror = fragmentStructuredError

        // libxml2's pull parser, reading through `fragmentInputRead`: the push parser's bookkeeping for each
        // chunk fed (copying it in, shifting what is left, looking ahead for the end of each tag) cost a tenth
        // of the parse in profiles.
        let me = Unmanaged.passUnretained(self).toOpaque()
        guard
            let context = xmlCreateIOParserCtxt(
                &handler, me, fragmentInputRead, fragmentInputClose, me, XML_CHAR_ENCODING_NONE)
        else {
            throw InputError.unreadable(parser.name, reason: "the XML parser could not be created")
        }
        self.context = context
        defer {
            xmlFreeParserCtxt(context)
            self.context = nil
        }
        xmlCtxtUseOptions(context, XMLElementStream.parseOptions)

        input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
        defer {
            input.deallocate()
            input = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        }
        let status = xmlParseDocument(context)
        if let failure { throw failure }
        if status != 0 || context.pointee.wellFormed == 0 { throw parseFailure(nil) }
        if !sawRoot { throw parseFailure("the document has no root element") }
    }

    /// Copies the next bytes of the document into `buffer`, reading the source 64 KiB at a time; 0 at its end.
    func readInput(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if inputStart == inputEnd {
            inputStart = 0
            inputEnd = try parser.source.read(into: input)
            inputTotal += inputEnd
            if inputTotal > parser.limits.maximumDocumentBytes {
                throw InputError.malformed(
                    RecordLocation(source: parser.name),
                    reason: "the document exceeds the limit of \(parser.limits.maximumDocumentBytes) bytes")
            }
        }
        let count = min(buffer.count, inputEnd - inputStart)
        guard count > 0, let base = input.baseAddress else { return 0 }
        buffer.baseAddress?.copyMemory(from: base + inputStart, byteCount: count)
        inputStart += count
        return count
    }

    var currentLine: Int {
        guard let input = context?.pointee.input else { return 0 }
        return Int(input.pointee.line)
    }

    /// The refusal of a DTD. No handler is installed for its declarations, so no entity it declares is kept,
    /// let alone resolved or expanded, before the refusal.
    func refusedDocumentType() -> InputError {
        malformed(line: currentLine, "a DTD (<!DOCTYPE>) is not accepted: entities are refused")
    }

    func malformed(line: Int, _ reason: String) -> InputError {
        .malformed(RecordLocation(source: parser.name, line: line), reason: reason)
    }

    /// Stops the parse with `error`, which `run` then throws.
    func stop(_ error: any Error) {
        if failure == nil { failure = error }
        if let context { xmlStopParser(context) }
    }

    private func parseFailure(_ fallback: String?) -> any Error {
        if let first = errors.first {
            return malformed(line: first.line > 0 ? first.line : currentLine, first.message)
        }
        return malformed(line: currentLine, fallback ?? "the document is not well-formed XML")
    }

    /// The table number of a name libxml2 hands out; its strings are interned, so their addresses identify it.
    func number(_ localName: UnsafePointer<xmlChar>?, _ namespace: UnsafePointer<xmlChar>?) -> Int32 {
        let key = NamePointers(
            localName: UInt(bitPattern: localName), namespace: UInt(bitPattern: namespace))
        // Fibonacci hashing: the top ten bits of the addresses mixed by a multiplication.
        let mixed = (UInt64(key.localName) ^ UInt64(key.namespace) &<< 7) &* 0x9E37_79B9_7F4A_7C15
        let slot = Int(mixed >> 54)
        let recent = recentNames[slot]
        if recent.localName == key.localName && recent.namespace == key.namespace && recent.number >= 0 {
            return recent.number
        }
        let number: Int32
        if let known = nameCache[key] {
            number = known
        } else {
            number = parser.names.number(
                localName.map { String(cString: $0) } ?? "", namespace.map { String(cString: $0) })
            nameCache[key] = number
        }
        recentNames[slot] = (key.localName, key.namespace, number)
        return number
    }

    func startElement(
        _ localName: UnsafePointer<xmlChar>?, _ namespace: UnsafePointer<xmlChar>?, _ attributeCount: Int,
        _ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?
    ) throws {
        if sawDocumentType { throw refusedDocumentType() }
        depth += 1
        let line = currentLine
        if depth == 0 {
            sawRoot = true
            switch try onRoot(number(localName, namespace), line) {
            case .children: fragmentDepth = 1
            case .whole: fragmentDepth = 0
            }
        }
        guard fragmentDepth >= 0, depth >= fragmentDepth else { return }
        if depth > parser.limits.maximumDepth {
            throw malformed(line: line, "elements nest deeper than \(parser.limits.maximumDepth)")
        }
        if depth == fragmentDepth {
            fragment.removeAll()
            current = -1
            if let context { fragmentStartByte = Int(xmlByteConsumed(context)) }
        }
        let element = fragment.appendElement(
            name: number(localName, namespace), parent: current, line: Int32(clamping: line))
        current = element
        guard let attributes else { return }
        for position in 0..<attributeCount {
            let base = attributes + position * 5
            guard let start = base[3], let end = base[4] else { continue }
            let count = end - start
            if count > parser.limits.maximumTextBytes {
                throw malformed(
                    line: line, "an attribute value exceeds the limit of \(parser.limits.maximumTextBytes) bytes")
            }
            let attributeName = number(base[0], base[2])
            let raw = UnsafeBufferPointer(start: start, count: count)
            if raw.contains(UInt8(ascii: "&")) {
                decodeAmpersands(raw)
                decoded.withUnsafeBufferPointer {
                    fragment.appendAttribute(name: attributeName, element: element, value: $0)
                }
            } else {
                fragment.appendAttribute(name: attributeName, element: element, value: raw)
            }
        }
    }

    /// Undoes the one escape libxml2 leaves in attribute values it hands to SAX2 without entity substitution:
    /// an ampersand, from `&amp;` or `&#38;`, arrives as `&#38;`.
    private func decodeAmpersands(_ raw: UnsafeBufferPointer<UInt8>) {
        decoded.removeAll(keepingCapacity: true)
        let escape = Array("&#38;".utf8)
        var position = 0
        while position < raw.count {
            if raw[position] == UInt8(ascii: "&"), position + escape.count <= raw.count,
                raw[position..<position + escape.count].elementsEqual(escape)
            {
                decoded.append(UInt8(ascii: "&"))
                position += escape.count
            } else {
                decoded.append(raw[position])
                position += 1
            }
        }
    }

    func endElement() throws {
        defer { depth -= 1 }
        guard fragmentDepth >= 0, depth >= fragmentDepth else { return }
        current = fragment.nodes[Int(current)].parent
        guard depth == fragmentDepth else { return }
        if let context {
            let size = Int(xmlByteConsumed(context)) - fragmentStartByte
            if size > parser.limits.maximumRecordBytes {
                throw malformed(
                    line: fragment.line, "a record exceeds the limit of \(parser.limits.maximumRecordBytes) bytes")
            }
        }
        try onRecord(&fragment)
    }

    func characters(_ text: UnsafePointer<xmlChar>?, _ count: Int) throws {
        guard let text, fragmentDepth >= 0, depth >= fragmentDepth, current >= 0 else { return }
        if depth + 1 > parser.limits.maximumDepth {
            throw malformed(line: currentLine, "elements nest deeper than \(parser.limits.maximumDepth)")
        }
        let length = fragment.appendText(
            UnsafeBufferPointer(start: text, count: count), element: current, line: Int32(clamping: currentLine))
        if length > parser.limits.maximumTextBytes {
            throw malformed(
                line: currentLine, "a text node exceeds the limit of \(parser.limits.maximumTextBytes) bytes")
        }
    }
}

private func fragmentState(_ context: UnsafeMutableRawPointer?) -> XMLFragmentParserState? {
    guard let context else { return nil }
    return Unmanaged<XMLFragmentParserState>.fromOpaque(context).takeUnretainedValue()
}

/// Runs `body` on the parse's state unless the parse has failed, stopping the parse with what it throws.
///
/// The state is borrowed rather than retained (`_withUnsafeGuaranteedRef`): `XMLFragmentParser.parse` keeps it
/// alive throughout, and a retain and a release around every element and text run showed in profiles.
private func withFragmentState(
    _ context: UnsafeMutableRawPointer?, _ body: (XMLFragmentParserState) throws -> Void
) {
    guard let context else { return }
    Unmanaged<XMLFragmentParserState>.fromOpaque(context)._withUnsafeGuaranteedRef { state in
        guard state.failure == nil else { return }
        do {
            try body(state)
        } catch {
            state.stop(error)
        }
    }
}

private func fragmentStartElement(
    _ context: UnsafeMutableRawPointer?, _ localName: UnsafePointer<xmlChar>?, _ prefix: UnsafePointer<xmlChar>?,
    _ uri: UnsafePointer<xmlChar>?, _ namespaceCount: Int32,
    _ namespaces: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?,
    _ attributeCount: Int32, _ defaultedCount: Int32, _ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?
) {
    withFragmentState(context) { try $0.startElement(localName, uri, Int(attributeCount), attributes) }
}

private func fragmentEndElement(
    _ context: UnsafeMutableRawPointer?, _ localName: UnsafePointer<xmlChar>?, _ prefix: UnsafePointer<xmlChar>?,
    _ uri: UnsafePointer<xmlChar>?
) {
    withFragmentState(context) { try $0.endElement() }
}

private func fragmentCharacters(_ context: UnsafeMutableRawPointer?, _ text: UnsafePointer<xmlChar>?, _ count: Int32) {
    withFragmentState(context) { try $0.characters(text, Int(count)) }
}

/// libxml2's read callback: the next bytes of the document, 0 at its end, -1 (the error kept) on a failure.
private func fragmentInputRead(
    _ context: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ length: Int32
) -> Int32 {
    guard let context, let buffer, length > 0 else { return -1 }
    return Unmanaged<XMLFragmentParserState>.fromOpaque(context)._withUnsafeGuaranteedRef { state in
        guard state.failure == nil else { return -1 }
        do {
            return Int32(try state.readInput(into: UnsafeMutableRawBufferPointer(start: buffer, count: Int(length))))
        } catch {
            state.failure = error
            return -1
        }
    }
}

private func fragmentInputClose(_ context: UnsafeMutableRawPointer?) -> Int32 {
    0
}

private func fragmentInternalSubset(
    _ context: UnsafeMutableRawPointer?, _ name: UnsafePointer<xmlChar>?, _ externalID: UnsafePointer<xmlChar>?,
    _ systemID: UnsafePointer<xmlChar>?
) {
    fragmentState(context)?.sawDocumentType = true
}

/// libxml2 calls this once the whole `<!DOCTYPE>`, internal subset included, has been read.
private func fragmentExternalSubset(
    _ context: UnsafeMutableRawPointer?, _ name: UnsafePointer<xmlChar>?, _ externalID: UnsafePointer<xmlChar>?,
    _ systemID: UnsafePointer<xmlChar>?
) {
    guard let state = fragmentState(context) else { return }
    state.stop(state.refusedDocumentType())
}

private func fragmentStructuredError(_ context: UnsafeMutableRawPointer?, _ error: xmlErrorPtr?) {
    guard let state = fragmentState(context) else { return }
    xmlErrorCollectorHandler(Unmanaged.passUnretained(state.errors).toOpaque(), error)
}
