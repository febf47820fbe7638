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

/// Reads canonical NDJSON line by line; memory holds one line (or one block of lines) whatever the input's
/// size.
///
/// In a conversion, decoding is shared between two threads: `nextBlock()` reads a block of lines and decodes
/// its first half on the reading thread, and `items(from:)` decodes the rest on the converting thread.
public final class CanonicalReader: SplitRecordReader {
    private let lines: LineReader
    private let sourceName: String

    public init(source: any ByteSource, maximumLineLength: Int = 16 * 1024 * 1024) {
        lines = LineReader(source: source, maximumLineLength: maximumLineLength)
        sourceName = source.name
    }

    public func next() throws -> ReadItem? {
        while true {
            let item: ReadItem?? = try lines.nextLine { bytes in
                Self.item(bytes, location: RecordLocation(source: sourceName, line: lines.lineNumber))
            }
            guard let item else { return nil }
            if let item { return item }
        }
    }

    /// Lines of canonical NDJSON: some decoded already, the others still bytes.
    public struct Block: Sendable {
        var decoded: [ReadItem] = []
        /// The lines after the decoded ones, end to end, with where each ends and its line number.
        var bytes: [UInt8] = []
        var lines: [(end: Int, line: Int)] = []
    }

    private static let blockLines = 256
    /// An error met after the lines of the block being read, thrown at the next call so that those lines
    /// are converted first, as one thread would have done.
    private var pendingError: (any Error)?

    public func nextBlock() throws -> Block? {
        if let pendingError {
            self.pendingError = nil
            throw pendingError
        }
        var block = Block()
        var count = 0
        do {
            try readLines(into: &block, count: &count)
        } catch {
            guard count > 0 else { throw error }
            pendingError = error
        }
        return count == 0 ? nil : block
    }

    private func readLines(into block: inout Block, count: inout Int) throws {
        while count < Self.blockLines {
            let read: Bool? = try lines.nextLine { bytes in
                if Self.isBlank(bytes) { return false }
                if count < Self.blockLines / 2 {
                    let location = RecordLocation(source: sourceName, line: lines.lineNumber)
                    if let item = Self.item(bytes, location: location) { block.decoded.append(item) }
                } else {
                    block.bytes.append(contentsOf: bytes)
                    block.lines.append((block.bytes.count, lines.lineNumber))
                }
                return true
            }
            guard let read else { break }
            if read { count += 1 }
        }
    }

    public func items(from block: Block) -> [ReadItem] {
        var items = block.decoded
        block.bytes.withUnsafeBytes { bytes in
            var start = 0
            for (end, line) in block.lines {
                let location = RecordLocation(source: sourceName, line: line)
                if let item = Self.item(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), location: location) {
                    items.append(item)
                }
                start = end
            }
        }
        return items
    }

    /// The record or rejection of one line; nil for a blank line.
    private static func item(_ bytes: UnsafeRawBufferPointer, location: RecordLocation) -> ReadItem? {
        if isBlank(bytes) { return nil }
        do throws(JSONScanError) {
            let record = try CanonicalJSONDecoding.decode(bytes)
            return .record(SourceRecord(record: Normalizer.normalized(record), location: location))
        } catch {
            return .rejected(RecordRejection(location: location, issues: [error.issue]))
        }
    }

    private static func isBlank(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 }
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
