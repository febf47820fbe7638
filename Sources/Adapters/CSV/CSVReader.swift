/// Reads RFC 4180 CSV one row at a time, working on bytes: fields may be quoted and then hold delimiters,
/// doubled quotes and line breaks; rows end in LF or CRLF; a UTF-8 byte-order mark at the start is skipped.
///
/// Memory holds one chunk of input and one row, whatever the input's size. A row's fields stay bytes until
/// the caller asks for one as text, so that a column nobody reads costs no decoding.
///
/// An input whose structure is lost (a quote never closed, a line longer than `maximumLineLength`) throws
/// `InputError.malformed` naming the line, because nothing after it can be trusted. A row that is merely
/// wrong (text after a closing quote) is returned with `problem` set, and reading goes on with the next row.
/// Blank lines between rows are skipped.
public final class CSVReader {
    /// What is wrong with a row whose end was still found, so that the next row can be read.
    public enum RowProblem: Sendable, Equatable, CustomStringConvertible {
        case textAfterClosingQuote(field: Int)

        public var description: String {
            switch self {
            case .textAfterClosingQuote(let field): "field \(field + 1): text after a closing quote"
            }
        }
    }

    public let source: any ByteSource
    public let delimiter: UInt8
    /// The longest physical line accepted, in bytes.
    public let maximumLineLength: Int
    /// The 1-based line on which the current row starts.
    public private(set) var rowLine = 0
    public private(set) var problem: RowProblem?

    private let chunk: UnsafeMutableRawBufferPointer
    private var position = 0
    private var end = 0
    private var exhausted = false
    private var startOfInput = true
    private var line = 1
    private var lineLength = 0
    private var row = RowBytes()

    public init(
        source: any ByteSource,
        delimiter: UInt8 = UInt8(ascii: ","),
        maximumLineLength: Int = 1024 * 1024,
        chunkSize: Int = 256 * 1024
    ) {
        self.source = source
        self.delimiter = delimiter
        self.maximumLineLength = maximumLineLength
        chunk = .allocate(byteCount: chunkSize, alignment: 1)
    }

    deinit {
        chunk.deallocate()
        row.deallocate()
    }

    /// The number of fields of the current row.
    public var fieldCount: Int { row.ends.count }

    /// Calls `body` with the bytes of field `index` of the current row (0-based), valid only inside `body`.
    public func withField<Result>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows
        -> Result
    {
        let start = index == 0 ? 0 : row.ends[index - 1]
        return try body(UnsafeBufferPointer(start: row.storage + start, count: row.ends[index] - start))
    }

    /// Calls `body` with the current row's fields end to end, unquoted, and the offset where each field ends;
    /// the bytes are valid only inside `body`.
    public func withRow<Result>(_ body: (UnsafeBufferPointer<UInt8>, [Int]) throws -> Result) rethrows -> Result {
        try body(UnsafeBufferPointer(start: row.storage, count: row.count), row.ends)
    }

    /// Field `index` as text, or nil when its bytes are not valid UTF-8.
    public func text(_ index: Int) -> String? {
        withField(index) { bytes in
            // ASCII needs no validation; this is the common case and the hot path.
            var ascii = true
            for byte in bytes where byte >= 0x80 {
                ascii = false
                break
            }
            if ascii { return String(decoding: bytes, as: UTF8.self) }
            return String(validating: bytes, as: UTF8.self)
        }
    }

    /// Moves to the next row; false at the end of the input.
    public func nextRow() throws -> Bool {
        while true {
            guard try readRow() else { return false }
            // a blank line is one empty field with nothing quoted: skip it
            if row.ends.count == 1 && row.ends[0] == 0 && !row.quotedAny && problem == nil { continue }
            return true
        }
    }

    // MARK: - Parsing

    private enum State {
        case fieldStart
        case unquoted
        case quoted
        /// A quote inside a quoted field: the field's end, or the first of a doubled quote.
        case quoteInQuoted
        /// After a closing quote and something other than a delimiter or a line end.
        case afterQuoteJunk
    }

    private func readRow() throws -> Bool {
        // The loop works on local copies: a stored property of a class read or written for every byte would
        // pay for a dynamic exclusivity check each time.
        var row = self.row
        self.row.ends = []  // so that the local copy's list is not shared and grows in place
        var position = self.position
        var end = self.end
        var line = self.line
        var lineLength = self.lineLength
        defer {
            self.row = row
            self.position = position
            self.line = line
            self.lineLength = lineLength
        }
        row.reset()
        problem = nil
        var state = State.fieldStart
        var pendingCR = false
        var sawAnything = false
        rowLine = line
        let bytes = chunk.bindMemory(to: UInt8.self)
        let delimiter = self.delimiter
        let maximumLineLength = self.maximumLineLength

        while true {
            if position == end {
                self.position = position
                let more = try refill()
                position = self.position
                end = self.end
                guard more else { break }
            }
            // Ordinary bytes run until a byte the state machine must look at: copy such a run whole. A run
            // holds no line feed, so only the line's length moves.
            if !pendingCR && state != .quoteInQuoted && state != .afterQuoteJunk {
                var runEnd = position
                if state == .quoted {
                    while runEnd < end && bytes[runEnd] != 0x22 && bytes[runEnd] != 0x0A { runEnd += 1 }
                } else {
                    while runEnd < end {
                        let byte = bytes[runEnd]
                        if byte == delimiter || byte == 0x0A || byte == 0x0D || byte == 0x22 { break }
                        runEnd += 1
                    }
                }
                if runEnd > position {
                    let run = runEnd - position
                    row.append(UnsafeBufferPointer(rebasing: bytes[position..<runEnd]))
                    position = runEnd
                    sawAnything = true
                    lineLength += run
                    if lineLength > maximumLineLength {
                        throw InputError.malformed(
                            RecordLocation(source: source.name, line: line),
                            reason: "line longer than \(maximumLineLength) bytes"
                        )
                    }
                    if state == .fieldStart { state = .unquoted }
                    continue
                }
            }
            let byte = bytes[position]
            position += 1
            sawAnything = true
            if byte == 0x0A {
                line += 1
                lineLength = 0
            } else {
                lineLength += 1
                if lineLength > maximumLineLength {
                    throw InputError.malformed(
                        RecordLocation(source: source.name, line: line),
                        reason: "line longer than \(maximumLineLength) bytes"
                    )
                }
            }

            if pendingCR {
                pendingCR = false
                if byte == 0x0A {
                    if state != .afterQuoteJunk { row.endField() }
                    return true
                }
                // a lone carriage return is data in an unquoted field
                if state == .unquoted || state == .fieldStart {
                    row.append(0x0D)
                    state = .unquoted
                }
            }

            switch state {
            case .fieldStart, .unquoted:
                if byte == delimiter {
                    row.endField()
                    state = .fieldStart
                } else if byte == 0x0A {
                    row.endField()
                    return true
                } else if byte == 0x0D {
                    pendingCR = true
                } else if byte == 0x22 && state == .fieldStart {
                    row.quotedAny = true
                    state = .quoted
                } else {
                    row.append(byte)
                    state = .unquoted
                }
            case .quoted:
                if byte == 0x22 {
                    state = .quoteInQuoted
                } else {
                    row.append(byte)
                }
            case .quoteInQuoted:
                if byte == 0x22 {
                    row.append(0x22)
                    state = .quoted
                } else if byte == delimiter {
                    row.endField()
                    state = .fieldStart
                } else if byte == 0x0A {
                    row.endField()
                    return true
                } else if byte == 0x0D {
                    pendingCR = true
                } else {
                    if problem == nil { problem = .textAfterClosingQuote(field: row.ends.count) }
                    state = .afterQuoteJunk
                }
            case .afterQuoteJunk:
                if byte == delimiter {
                    row.endField()
                    state = .fieldStart
                } else if byte == 0x0A {
                    row.endField()
                    return true
                }
            }
        }

        // the end of the input
        if state == .quoted {
            throw InputError.malformed(
                RecordLocation(source: source.name, line: rowLine),
                reason: "a quoted field that starts on this line is never closed"
            )
        }
        guard sawAnything else { return false }
        // a carriage return as the input's very last byte ends the row like CRLF would
        row.endField()
        return true
    }

    /// Reads the next chunk; false at the end of the input. Skips a byte-order mark at the very start.
    private func refill() throws -> Bool {
        guard !exhausted else { return false }
        position = 0
        end = try source.read(into: chunk)
        if end == 0 {
            exhausted = true
            return false
        }
        if startOfInput {
            startOfInput = false
            while end < 3 {
                let more = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: chunk[end...]))
                if more == 0 { break }
                end += more
            }
            if end >= 3 && chunk[0] == 0xEF && chunk[1] == 0xBB && chunk[2] == 0xBF { position = 3 }
            if position == end { return try refill() }
        }
        return true
    }
}

/// The bytes of one row, unquoted, with where each field ends; grows as needed and is reused for every row.
private struct RowBytes {
    var storage: UnsafeMutablePointer<UInt8>
    var capacity: Int
    var count = 0
    var ends: [Int] = []
    var quotedAny = false

    init() {
        capacity = 4096
        storage = .allocate(capacity: capacity)
        ends.reserveCapacity(64)
    }

    mutating func reset() {
        count = 0
        ends.removeAll(keepingCapacity: true)
        quotedAny = false
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        if count == capacity { grow() }
        storage[count] = byte
        count += 1
    }

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        while count + bytes.count > capacity { grow() }
        if let base = bytes.baseAddress { (storage + count).update(from: base, count: bytes.count) }
        count += bytes.count
    }

    mutating func endField() {
        ends.append(count)
    }

    func deallocate() {
        storage.deallocate()
    }

    private mutating func grow() {
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
        larger.update(from: storage, count: count)
        storage.deallocate()
        storage = larger
        capacity = capacity * 2
    }
}
