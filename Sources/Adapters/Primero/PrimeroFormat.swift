import Foundation
import PrimesModel

/// Primero v2 case records: read from bare cases, `{"data":{…}}` bodies or list responses; written as one
/// `{"data":{…}}` request body per line.
public enum PrimeroFormat {
    public static let name = "primero-json"

    public static let format = RecordFormat(
        name: name,
        summary: "UNICEF Primero v2 cases: bare, {\"data\":…} bodies or list responses; writes one body a line",
        mediaType: "application/json",
        defaultMapping: "primero/primero-v2-seed.yaml",
        makeReader: { source, context in
            PrimeroReader(source: source, mapping: try PrimeroMapping.load(context), receivedAt: context.receivedAt)
        },
        makeWriter: { sink, context in PrimeroWriter(sink: sink, mapping: try PrimeroMapping.load(context)) }
    )
}

/// Reads Primero JSON: one or more documents, each a bare case, a `{"data":{…}}` body, a
/// `{"data":[…],"metadata":{…}}` list response, or a JSON list of cases.
///
/// Reads the whole input into memory before the first record: Primero serves at most 1,000 cases a page, and
/// a larger file is better converted as NDJSON bodies, one a line, which this reader also takes.
public final class PrimeroReader: RecordReader {
    private let source: any ByteSource
    private let reading: PrimeroCaseReading
    private var pending: [(case: JSONValue, location: RecordLocation)] = []
    private var loaded = false
    private var position = 0

    public init(source: any ByteSource, mapping: PrimeroMapping, receivedAt: String = Timestamp.now()) {
        self.source = source
        self.reading = PrimeroCaseReading(mapping: mapping, receivedAt: receivedAt)
    }

    public func next() throws -> ReadItem? {
        if !loaded {
            pending = try load()
            loaded = true
        }
        guard position < pending.count else { return nil }
        let (value, location) = pending[position]
        pending[position].case = .null
        position += 1
        guard case .object(let fields) = value else {
            return .rejected(RecordRejection(location: location, field: "record", rule: "a case must be a JSON object"))
        }
        return reading.read(fields, at: location)
    }

    private func load() throws -> [(case: JSONValue, location: RecordLocation)] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        var cases: [(case: JSONValue, location: RecordLocation)] = []
        for document in try JSONDocuments.split(bytes, source: source.name) {
            let value: JSONValue
            do {
                value = try bytes[document.range].withUnsafeBytes { (buffer) throws(JSONScanError) in
                    var scanner = JSONScanner(buffer)
                    let value = try scanner.readValue()
                    try scanner.expectEnd()
                    return value
                }
            } catch {
                throw InputError.malformed(
                    RecordLocation(source: source.name, line: document.line), reason: "not valid JSON")
            }
            for item in Self.cases(in: value) {
                cases.append((item, RecordLocation(source: source.name, index: cases.count)))
            }
        }
        return cases
    }

    /// The cases a document holds, whichever of Primero's shapes it has.
    static func cases(in document: JSONValue) -> [JSONValue] {
        switch document {
        case .array(let items): return items
        case .object(let fields):
            switch fields["data"] {
            case .array(let items)?: return items
            case .object(let data)? where fields.keys.allSatisfy({ $0 == "data" || $0 == "metadata" }):
                return [.object(data)]
            default: return [document]
            }
        default: return [document]
        }
    }
}

/// Writes one `{"data":{…}}` request body per line, keys sorted, ready to POST to `/api/v2/cases`.
public final class PrimeroWriter: RecordWriter {
    private let sink: any ByteSink
    private let writing: PrimeroCaseWriting
    private let encoder: JSONEncoder

    public init(sink: any ByteSink, mapping: PrimeroMapping) {
        self.sink = sink
        writing = PrimeroCaseWriting(mapping: mapping)
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    public func write(_ record: CanonicalRecord, from location: RecordLocation) throws -> WriteNotes {
        // Primero holds cases, one per person; a registration group has no case of its own.
        guard case .person(let person) = record else { return WriteNotes(notHeld: ["group"]) }
        let written = try writing.write(person, at: location)
        var line = try encoder.encode(JSONValue.object(["data": .object(written.data)]))
        line.append(0x0A)
        try line.withUnsafeBytes { try sink.write($0) }
        return WriteNotes(notHeld: written.notHeld)
    }

    public func finish() throws {
        try sink.flush()
    }
}
