import PrimesModel

/// The canonical model as NDJSON: one person or registration group per line, as `schema/` documents.
public enum CanonicalFormat {
    public static let format = RecordFormat(
        name: "canonical",
        summary: "the canonical PRIMES model as NDJSON, one record a line (schema/canonical-record.schema.json)",
        mediaType: "application/x-ndjson",
        makeReader: { source, _ in CanonicalReader(source: source) },
        makeWriter: { sink, _ in CanonicalWriter(sink: sink) }
    )
}

/// Reads canonical NDJSON line by line; memory holds one line whatever the input's size.
public final class CanonicalReader: ReadAheadRecordReader {
    private let lines: LineReader

    public init(source: any ByteSource, maximumLineLength: Int = 16 * 1024 * 1024) {
        lines = LineReader(source: source, maximumLineLength: maximumLineLength)
    }

    public func next() throws -> ReadItem? {
        while true {
            let decoded: Result<CanonicalRecord, JSONScanError>?? = try lines.nextLine { bytes in
                if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return .none }
                return .some(Result { () throws(JSONScanError) in try CanonicalJSONDecoding.decode(bytes) })
            }
            guard let decoded else { return nil }
            guard let result = decoded else { continue }
            let location = RecordLocation(source: lines.source.name, line: lines.lineNumber)
            switch result {
            case .success(let record):
                return .record(SourceRecord(record: Normalizer.normalized(record), location: location))
            case .failure(let error):
                return .rejected(RecordRejection(location: location, issues: [error.issue]))
            }
        }
    }

    /// Turns an error of the model's `Decodable` conformance into the field and rule it broke, without
    /// quoting the value. Adapters that build canonical records through `JSONValue` use it.
    public static func issue(for error: any Error) -> FieldIssue {
        guard let error = error as? DecodingError else { return FieldIssue(field: "record", rule: "\(error)") }
        switch error {
        case .keyNotFound(let key, let context):
            return FieldIssue(field: (context.codingPath + [key]).fieldPath, rule: "required field is missing")
        case .typeMismatch(let type, let context):
            return FieldIssue(field: context.codingPath.fieldPath.orRecord, rule: "must be \(Self.jsonType(type))")
        case .valueNotFound(let type, let context):
            return FieldIssue(
                field: context.codingPath.fieldPath.orRecord,
                rule: "must be \(Self.jsonType(type)), not null"
            )
        case .dataCorrupted(let context):
            // Foundation reports malformed JSON as corrupted data at the top level.
            if context.codingPath.isEmpty { return FieldIssue(field: "record", rule: "not valid JSON") }
            return FieldIssue(field: context.codingPath.fieldPath, rule: context.debugDescription)
        @unknown default:
            return FieldIssue(field: "record", rule: "cannot be decoded")
        }
    }

    private static func jsonType(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "text"
        case is Int.Type, is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is [Any].Type: "a list"
        default: "an object"
        }
    }
}

/// Writes canonical NDJSON, keys sorted so that the same record always gives the same line.
///
/// Lines gather in one buffer that goes to the sink when it holds 64 KiB, so the sink is called once per
/// few hundred records rather than twice per record.
public final class CanonicalWriter: RecordWriter {
    private let sink: any ByteSink
    private var output = CanonicalJSONOutput()
    private static let flushSize = 64 * 1024

    public init(sink: any ByteSink) {
        self.sink = sink
        output.bytes.reserveCapacity(Self.flushSize + 4096)
    }

    public func write(_ record: CanonicalRecord, from location: RecordLocation) throws -> WriteNotes {
        output.append(record)
        output.bytes.append(0x0A)
        if output.bytes.count >= Self.flushSize { try flushBuffer() }
        return WriteNotes()
    }

    /// Writes lines that a `CanonicalLinesReader` already made, after the records written before them.
    public func write(lines: [UInt8]) throws {
        guard !lines.isEmpty else { return }
        try flushBuffer()
        try lines.withUnsafeBytes { try sink.write($0) }
    }

    public func finish() throws {
        try flushBuffer()
        try sink.flush()
    }

    private func flushBuffer() throws {
        guard !output.bytes.isEmpty else { return }
        try output.bytes.withUnsafeBytes { try sink.write($0) }
        output.bytes.removeAll(keepingCapacity: true)
    }
}

extension String {
    fileprivate var orRecord: String {
        isEmpty ? "record" : self
    }
}
