import CLibXML2
import PrimesModel

/// Reads civil-registration XML of one dialect as a stream: each record (a Bundle's entries for one event,
/// or a whole evidence document) is taken out of the stream, the dialect's rules run on it alone, and it
/// yields its persons (subject, then relatives) as canonical records linked by `ref`.
///
/// A dialect whose paths all fall within `XMLFragmentPath` (the shipped ones do) is read by
/// `CivilFragmentReader`: libxml2's SAX2 parser into compact fragments, on a second thread. Any other dialect
/// is read here with `xmlTextReader`, each record copied into a libxml2 document for libxml2's XPath.
public final class CivilRecordReader: RecordReader {
    private let fast: CivilFragmentReader?
    private let dialect: CivilDialect
    private var stream: XMLElementStream?
    private var document: XMLRecordDocument?
    private var assembler: CivilRecordAssembler<LibXMLRecordSource>?
    private var pending: [ReadItem] = []
    private var state = State.start
    private var recordIndex = 0
    private var groupLine = 0
    private var groupChild = 0
    /// How many of the envelope's record elements (Bundle entries) have been read, for their XPath.
    private var recordElements = 0

    private enum State {
        case start
        case envelope(CivilDialect.Envelope)
        case finished
    }

    public convenience init(
        source: any ByteSource, dialect: CivilDialect, context: ConversionContext, format: String
    ) throws {
        try self.init(source: source, dialect: dialect, context: context, format: format, fragments: true)
    }

    /// With `fragments` false, reads any dialect with `xmlTextReader` and libxml2's XPath (tests compare both).
    init(
        source: any ByteSource, dialect: CivilDialect, context: ConversionContext, format: String, fragments: Bool
    ) throws {
        self.dialect = dialect
        if fragments,
            let fast = CivilFragmentReader(source: source, dialect: dialect, context: context, format: format)
        {
            self.fast = fast
            return
        }
        fast = nil
        stream = try XMLElementStream(source: source)
        document = try XMLRecordDocument(namespaces: dialect.namespaces)
        assembler = CivilRecordAssembler(
            dialect: dialect, plan: CivilRecordPlan(dialect) { $0 }, context: context, format: format)
    }

    public func next() throws -> ReadItem? {
        if let fast { return try fast.next() }
        while pending.isEmpty {
            switch state {
            case .finished:
                return nil
            case .start:
                try begin()
            case .envelope(let envelope):
                try readEnvelopeChild(envelope)
            }
        }
        return pending.removeFirst()
    }

    /// Matches the root against the dialect: an envelope of records, or a record by itself.
    private func begin() throws {
        guard let stream, let document else { return }
        let root = try stream.root()
        if let envelope = dialect.envelope, envelope.element.matches(root.localName, root.namespace) {
            state = .envelope(envelope)
            return
        }
        guard dialect.recordRoots.contains(where: { $0.matches(root.localName, root.namespace) }) else {
            throw InputError.malformed(
                RecordLocation(source: stream.name, line: root.line),
                reason: dialect.notADocument(root.localName, root.namespace))
        }
        let element = try stream.expandRoot()
        document.reset()
        try document.append(copyOf: element.node)
        groupLine = element.line
        finishGroup(xpath: "/\(element.localName)")
        state = .finished
    }

    private func readEnvelopeChild(_ envelope: CivilDialect.Envelope) throws {
        guard let stream, let document else { return }
        guard let child = try stream.nextChild() else {
            if document.root.pointee.children != nil { finishGroup(xpath: groupXPath(envelope)) }
            state = .finished
            return
        }
        guard envelope.record.matches(child.localName, child.namespace) else { return }
        recordElements += 1
        let starts = envelope.startsRecord.map { document.matches($0, from: child.node) } ?? true
        if starts && document.root.pointee.children != nil { finishGroup(xpath: groupXPath(envelope)) }
        if document.root.pointee.children == nil {
            groupLine = child.line
            groupChild = recordElements - 1
        }
        try document.append(copyOf: child.node)
    }

    private func groupXPath(_ envelope: CivilDialect.Envelope) -> String {
        "/\(envelope.element.localName)/\(envelope.record.localName)[\(groupChild + 1)]"
    }

    private func finishGroup(xpath: String) {
        guard let stream, let document, let assembler else { return }
        let location = RecordLocation(source: stream.name, line: groupLine, xpath: xpath)
        pending.append(
            contentsOf: assembler.assemble(
                LibXMLRecordSource(document: document), location: location, index: recordIndex))
        recordIndex += 1
        document.reset()
    }
}

extension CivilDialect {
    /// Why a document whose root is `localName` in `namespace` is refused.
    func notADocument(_ localName: String, _ namespace: String?) -> String {
        let expected = ([envelope?.element].compactMap { $0 } + recordRoots)
            .map { "\($0.localName) in \($0.namespace ?? "no namespace")" }.joined(separator: ", ")
        return "root element \(localName) in \(namespace ?? "no namespace") is not a \(name) document "
            + "(expected \(expected))"
    }
}

extension CivilDialect.QualifiedName {
    func matches(_ localName: String, _ namespace: String?) -> Bool {
        self.localName == localName && self.namespace == namespace
    }
}
