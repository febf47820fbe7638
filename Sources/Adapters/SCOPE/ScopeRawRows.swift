import PrimesModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Rows of a SCOPE CSV file kept as bytes: the readable rows' fields end to end, unquoted, and the rows that
/// could not be read with their problems, grouped in households. The CSV reader's thread fills a block of
/// them; the converting thread takes it whole.
struct RawRows: Sendable {
    struct Row {
        var line: Int
        /// Where the row's first field starts in `bytes`.
        var start: Int
        /// Where in `ends` the row's field ends begin; -1 for an unreadable row, which keeps no bytes.
        var firstEnd: Int
        var isASCII: Bool
        /// Whether a field starts with an apostrophe, which may neutralise a formula.
        var hasCellStartingWithApostrophe = false
        /// Why the row cannot be read; empty for a readable row.
        var problems: [FieldIssue]
    }

    var bytes: [UInt8] = []
    var ends: [Int] = []
    var rows: [Row] = []
    /// Each household's rows, in input order.
    var households: [Range<Int>] = []

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        rows.removeAll(keepingCapacity: true)
        households.removeAll(keepingCapacity: true)
    }

    /// Appends `row` of `other`, a readable row.
    mutating func append(_ row: Row, of other: RawRows, fieldCount: Int) {
        let start = bytes.count
        let firstEnd = ends.count
        let range = other.range(row, 0).lowerBound..<other.ends[row.firstEnd + fieldCount - 1]
        bytes.append(contentsOf: other.bytes[range])
        for end in other.ends[row.firstEnd..<row.firstEnd + fieldCount] { ends.append(end - range.lowerBound + start) }
        var copy = row
        copy.start = start
        copy.firstEnd = firstEnd
        rows.append(copy)
    }

    /// Appends the current row of `csv`, a readable one.
    mutating func append(_ csv: CSVReader, line: Int) {
        let start = bytes.count
        let firstEnd = ends.count
        let (ascii, apostrophe) = csv.withRow { fields, fieldEnds in
            bytes.append(contentsOf: fields)
            var apostrophe = false
            var fieldStart = 0
            for end in fieldEnds {
                ends.append(start + end)
                if end > fieldStart && fields[fieldStart] == UInt8(ascii: "'") { apostrophe = true }
                fieldStart = end
            }
            return (Self.isASCII(fields), apostrophe)
        }
        rows.append(
            Row(
                line: line, start: start, firstEnd: firstEnd, isASCII: ascii, hasCellStartingWithApostrophe: apostrophe,
                problems: []))
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

    /// Whether two fields hold the same bytes.
    @inline(__always)
    static func same(_ one: UnsafeBufferPointer<UInt8>, _ other: UnsafeBufferPointer<UInt8>) -> Bool {
        guard one.count == other.count else { return false }
        guard let first = one.baseAddress, let second = other.baseAddress else { return true }
        return memcmp(first, second, one.count) == 0
    }

    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var any: UInt8 = 0
        for byte in bytes { any |= byte }
        return any < 0x80
    }
}
