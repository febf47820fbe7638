import PrimesModel

/// Rows of a SCOPE CSV file kept as bytes: the readable rows' fields end to end, unquoted, and the rows that
/// could not be read with their problems. Holds one household; reused from one to the next.
struct RawRows {
    struct Row {
        var line: Int
        /// Where the row's first field starts in `bytes`.
        var start: Int
        /// Where in `ends` the row's field ends begin; -1 for an unreadable row, which keeps no bytes.
        var firstEnd: Int
        var isASCII: Bool
        /// Why the row cannot be read; empty for a readable row.
        var problems: [FieldIssue]
    }

    var bytes: [UInt8] = []
    var ends: [Int] = []
    var rows: [Row] = []
    var readableCount = 0

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        rows.removeAll(keepingCapacity: true)
        readableCount = 0
    }

    /// Appends the current row of `csv`, a readable one.
    mutating func append(_ csv: CSVReader, line: Int) {
        let start = bytes.count
        let firstEnd = ends.count
        let ascii = csv.withRow { fields, fieldEnds in
            bytes.append(contentsOf: fields)
            for end in fieldEnds { ends.append(start + end) }
            return Self.isASCII(fields)
        }
        rows.append(Row(line: line, start: start, firstEnd: firstEnd, isASCII: ascii, problems: []))
        readableCount += 1
    }

    /// Where field `column` of `row` lies in `bytes`.
    @inline(__always)
    func range(_ row: Row, _ column: Int) -> Range<Int> {
        let end = ends[row.firstEnd + column]
        return (column == 0 ? row.start : ends[row.firstEnd + column - 1])..<end
    }

    func withField<Result>(_ row: Row, _ column: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows
        -> Result
    {
        let range = range(row, column)
        return try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[range])) }
    }

    /// Field `column` of a readable row as the general path reads it.
    func text(_ row: Row, _ column: Int) -> String? {
        withField(row, column) { Self.text($0) }
    }

    /// A field's text as the general path reads it: nil when empty, without a neutralising apostrophe.
    /// The row's bytes are known to be UTF-8.
    static func text(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard !bytes.isEmpty else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        return bytes.first == UInt8(ascii: "'") ? CSVWriter.unneutralized(text) : text
    }

    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var any: UInt8 = 0
        for byte in bytes { any |= byte }
        return any < 0x80
    }
}
