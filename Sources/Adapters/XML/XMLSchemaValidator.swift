import CLibXML2

/// Validates XML documents against an XSD with libxml2's schema validator.
///
/// The schema is read from local files only (`XML_PARSE_NONET`); its own imports must sit beside it, as
/// `fhir-single.xsd` finds `fhir-xhtml.xsd` and `xml.xsd`.
public final class XMLSchemaValidator: @unchecked Sendable {
    private let schema: xmlSchemaPtr
    public let path: String

    /// Loads the schema at `path`, or throws the schema's first error.
    public init(schemaPath path: String) throws {
        let errors = XMLErrorCollector()
        guard let context = xmlSchemaNewParserCtxt(path) else {
            throw InputError.unreadable(path, reason: "cannot open the schema")
        }
        defer { xmlSchemaFreeParserCtxt(context) }
        xmlSchemaSetParserStructuredErrors(
            context, xmlErrorCollectorHandler, Unmanaged.passUnretained(errors).toOpaque())
        guard let schema = xmlSchemaParse(context) else {
            throw InputError.malformed(
                RecordLocation(source: path, line: errors.first?.line), reason: errors.first?.message ?? "bad schema")
        }
        self.schema = schema
        self.path = path
    }

    deinit {
        xmlSchemaFree(schema)
    }

    /// The schema errors in `bytes` as `line: message`, empty when the document is valid.
    public func validate(_ bytes: [UInt8], name: String = "document") -> [String] {
        let errors = XMLErrorCollector()
        let document = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { base in
                base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                    xmlReadMemory($0, Int32(buffer.count), name, nil, XMLElementStream.parseOptions)
                }
            } ?? nil
        }
        guard let document else { return ["the document is not well-formed XML"] }
        defer { xmlFreeDoc(document) }
        guard let context = xmlSchemaNewValidCtxt(schema) else { return ["the validator could not be created"] }
        defer { xmlSchemaFreeValidCtxt(context) }
        xmlSchemaSetValidStructuredErrors(
            context, xmlErrorCollectorHandler, Unmanaged.passUnretained(errors).toOpaque())
        let status = xmlSchemaValidateDoc(context, document)
        if status == 0 { return [] }
        let messages = errors.entries.map { "\($0.line): \($0.message)" }
        return messages.isEmpty ? ["invalid (libxml2 status \(status))"] : messages
    }
}
