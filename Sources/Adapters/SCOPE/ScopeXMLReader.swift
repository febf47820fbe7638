import CLibXML2
import PrimesModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads SCOPE XML with libxml2's streaming `xmlTextReader`: memory holds one household, whatever the
/// document's size. Each `Member` element becomes a row carrying its `Household`'s fields, and the rows go
/// through the same household checks as CSV rows.
///
/// The document is not validated against the XSD while reading; the field checks are those of the CSV
/// reader, and an element the mapping does not name is kept in `extensions` like an unknown CSV column.
public final class ScopeXMLReader: RecordReader {
    private let input: XMLByteInput
    private let reader: xmlTextReaderPtr
    private let fieldOfElement: [String: ScopeField]
    private var households: ScopeHouseholdReader?
    private var household = ScopeRow(location: RecordLocation(source: ""))
    private var householdIndex = 0
    private var memberIndex = 0
    private var member: ScopeRow?

    init(source: any ByteSource, mapping: ScopeMapping, context: ConversionContext) throws {
        var fields: [String: ScopeField] = [:]
        for column in mapping.columns { fields[column.element] = column.field }
        fieldOfElement = fields
        input = XMLByteInput(source: source)
        let opaque = Unmanaged.passUnretained(input).toOpaque()
        // no network access and no entity expansion: a document cannot make the reader fetch or grow
        let options = Int32(XML_PARSE_NONET.rawValue)
        guard let reader = xmlReaderForIO(xmlByteInputRead, nil, opaque, nil, "UTF-8", options) else {
            throw InputError.unreadable(source.name, reason: "libxml2 could not start a reader")
        }
        self.reader = reader
        xmlTextReaderSetErrorHandler(reader, xmlByteInputError, opaque)
        let decoder = ScopeRowDecoder(
            mapping: mapping, formatName: ScopeXMLFormat.format.name, receivedAt: context.receivedAt)
        households = ScopeHouseholdReader(decoder: decoder) { [unowned self] in try self.nextRow() }
    }

    deinit {
        xmlFreeTextReader(reader)
    }

    public func next() throws -> ReadItem? {
        try households?.next()
    }

    private func nextRow() throws -> ScopeRow? {
        while true {
            let status = xmlTextReaderRead(reader)
            if status == 0 { return nil }
            guard status == 1 else { throw malformed() }
            let type = xmlTextReaderNodeType(reader)
            let depth = xmlTextReaderDepth(reader)
            let name = localName()
            if type == Int32(XML_READER_TYPE_ELEMENT.rawValue) {
                let empty = xmlTextReaderIsEmptyElement(reader) == 1
                switch depth {
                case 0:
                    guard name == ScopeXMLFormat.rootElement else {
                        throw InputError.malformed(
                            location(), reason: "the root element is not \(ScopeXMLFormat.rootElement)")
                    }
                case 1 where name == ScopeXMLFormat.householdElement:
                    householdIndex += 1
                    memberIndex = 0
                    household = ScopeRow(location: location())
                case 2 where name == ScopeXMLFormat.memberElement:
                    memberIndex += 1
                    var row = household
                    row.location = location(member: memberIndex)
                    member = row
                    if empty { return finishMember() }
                case 2:
                    try store(name, empty: empty, into: &household)
                case 3 where member != nil:
                    guard var row = member else { continue }
                    try store(name, empty: empty, into: &row)
                    member = row
                default:
                    continue
                }
            } else if type == Int32(XML_READER_TYPE_END_ELEMENT.rawValue) && depth == 2
                && name == ScopeXMLFormat.memberElement
            {
                return finishMember()
            }
        }
    }

    private func finishMember() -> ScopeRow? {
        defer { member = nil }
        return member
    }

    /// Stores the text of the field element the reader is on.
    private func store(_ name: String, empty: Bool, into row: inout ScopeRow) throws {
        var text: String?
        if !empty, let content = xmlTextReaderReadString(reader) {
            text = String(cString: content)
            // libxml2's xmlFree is the C library's free unless a program installs its own allocator, which the
            // gateway never does; the xmlFree variable itself cannot be read from Swift 6's strict concurrency.
            free(content)
        }
        if xmlTextReaderReadState(reader) == Int32(XML_TEXTREADER_MODE_ERROR.rawValue) { throw malformed() }
        guard let text, !text.isEmpty else { return }
        if let field = fieldOfElement[name] {
            row[field] = text
        } else {
            row.unmapped.append((name, text))
        }
    }

    private func localName() -> String {
        guard let name = xmlTextReaderConstLocalName(reader) else { return "" }
        return String(cString: name)
    }

    private func location(member: Int? = nil) -> RecordLocation {
        var path = "/\(ScopeXMLFormat.rootElement)/\(ScopeXMLFormat.householdElement)[\(householdIndex)]"
        if let member { path += "/\(ScopeXMLFormat.memberElement)[\(member)]" }
        return RecordLocation(
            source: input.source.name, line: Int(xmlTextReaderGetParserLineNumber(reader)), xpath: path)
    }

    private func malformed() -> Error {
        if let error = input.readError { return error }
        return InputError.malformed(
            RecordLocation(
                source: input.source.name, line: Int(xmlTextReaderGetParserLineNumber(reader))),
            reason: "not well-formed XML: \(input.errorMessage ?? "the parser stopped")"
        )
    }
}

/// The byte source behind libxml2's read callback, and the first error the parser or the source reported.
final class XMLByteInput {
    let source: any ByteSource
    var readError: Error?
    var errorMessage: String?

    init(source: any ByteSource) {
        self.source = source
    }
}

private func xmlByteInputRead(
    _ context: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ length: Int32
) -> Int32 {
    guard let context, let buffer else { return -1 }
    let input = Unmanaged<XMLByteInput>.fromOpaque(context).takeUnretainedValue()
    do {
        return Int32(try input.source.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: Int(length))))
    } catch {
        input.readError = error
        return -1
    }
}

private func xmlByteInputError(
    _ context: UnsafeMutableRawPointer?,
    _ message: UnsafePointer<CChar>?,
    _ severity: xmlParserSeverities,
    _: xmlTextReaderLocatorPtr?
) {
    guard let context else { return }
    let input = Unmanaged<XMLByteInput>.fromOpaque(context).takeUnretainedValue()
    guard input.errorMessage == nil,
        severity == XML_PARSER_SEVERITY_ERROR || severity == XML_PARSER_SEVERITY_VALIDITY_ERROR
    else { return }
    input.errorMessage = message.map { String(cString: $0).trimmingSuffixNewline() } ?? "error"
}

extension String {
    fileprivate func trimmingSuffixNewline() -> String {
        var text = self
        while text.last == "\n" { text.removeLast() }
        return text
    }
}
