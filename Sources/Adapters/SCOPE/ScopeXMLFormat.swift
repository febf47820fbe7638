import PrimesModel

/// The SCOPE exchange layout v1 as XML, for SCOPE's XSD/XSL import: `Mappings/scope/scope-exchange-v1.xsd`.
///
/// ```xml
/// <ScopeExchange xmlns="urn:primes-gateway:scope-exchange:1" layoutVersion="1">
///   <Household>
///     <household_id>…</household_id> … the household fields, once
///     <Member><beneficiary_unique_id>…</beneficiary_unique_id> … </Member>
///   </Household>
/// </ScopeExchange>
/// ```
/// Field elements are named as the mapping's `element` keys say; an empty field is left out.
public enum ScopeXMLFormat {
    public static var format: RecordFormat {
        RecordFormat(
            name: "scope-xml",
            summary: "WFP SCOPE exchange layout v1 as XML (Mappings/scope/scope-exchange-v1.xsd)",
            mediaType: "application/xml",
            defaultMapping: "scope/scope-exchange-v1.yaml",
            makeReader: { source, context in
                try ScopeXMLReader(
                    source: source, mapping: ScopeMapping.load(for: Self.format, in: context), context: context)
            },
            makeWriter: { sink, context in
                try ScopeXMLWriter(sink: sink, mapping: ScopeMapping.load(for: Self.format, in: context))
            }
        )
    }

    static let rootElement = "ScopeExchange"
    static let householdElement = "Household"
    static let memberElement = "Member"
}

/// Writes SCOPE XML, one `Household` element per group record with a `Member` element per person.
public final class ScopeXMLWriter: RecordWriter {
    private let sink: any ByteSink
    private let mapping: ScopeMapping
    private var encoder: ScopeRowEncoder
    private var buffer: [UInt8] = []
    private var started = false
    private var householdOpen = false

    init(sink: any ByteSink, mapping: ScopeMapping) {
        self.sink = sink
        self.mapping = mapping
        encoder = ScopeRowEncoder(mapping: mapping)
        buffer.reserveCapacity(64 * 1024)
    }

    public func write(_ record: CanonicalRecord, from location: RecordLocation) throws -> WriteNotes {
        startDocument()
        switch record {
        case .group(let group):
            closeHousehold()
            return try encoder.enter(group, at: location)
        case .person(let person):
            let opensHousehold = encoder.startsHousehold
            let (values, notes) = try encoder.row(for: person, at: location)
            let unwritable = mapping.columns.filter { values[$0.field.rawValue].map(Self.isXMLText) == false }
            guard unwritable.isEmpty else {
                throw RecordRejection(
                    location: location,
                    issues: unwritable.map {
                        FieldIssue(field: $0.column, rule: "holds a control character XML cannot carry")
                    }
                )
            }
            if opensHousehold {
                append("  <\(ScopeXMLFormat.householdElement)>\n")
                for column in mapping.columns where column.field.isHousehold {
                    element(column.element, values[column.field.rawValue], indent: "    ")
                }
                householdOpen = true
            }
            append("    <\(ScopeXMLFormat.memberElement)>\n")
            for column in mapping.columns where !column.field.isHousehold {
                element(column.element, values[column.field.rawValue], indent: "      ")
            }
            append("    </\(ScopeXMLFormat.memberElement)>\n")
            if buffer.count >= 60 * 1024 { try flushBuffer() }
            return notes
        }
    }

    public func finish() throws {
        startDocument()
        closeHousehold()
        append("</\(ScopeXMLFormat.rootElement)>\n")
        try flushBuffer()
        try sink.flush()
    }

    private func startDocument() {
        guard !started else { return }
        started = true
        append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        append("<\(ScopeXMLFormat.rootElement) xmlns=\"\(mapping.xmlNamespace)\" layoutVersion=\"1\">\n")
    }

    private func closeHousehold() {
        guard householdOpen else { return }
        append("  </\(ScopeXMLFormat.householdElement)>\n")
        householdOpen = false
    }

    private func element(_ name: String, _ value: String?, indent: String) {
        guard let value else { return }
        append(indent)
        append("<\(name)>")
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "&"): append("&amp;")
            case UInt8(ascii: "<"): append("&lt;")
            case UInt8(ascii: ">"): append("&gt;")
            case 0x0D: append("&#13;")
            default: buffer.append(byte)
            }
        }
        append("</\(name)>\n")
    }

    private func append(_ text: String) {
        buffer.append(contentsOf: text.utf8)
    }

    private func flushBuffer() throws {
        try buffer.withUnsafeBytes { try sink.write($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Whether XML 1.0 can carry the text: no control characters but tab, line feed and carriage return.
    private static func isXMLText(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    }
}
