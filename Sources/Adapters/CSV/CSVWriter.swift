/// Writes RFC 4180 CSV: rows end in CRLF, and a field is quoted only when it holds the delimiter, a quote, or a
/// line break, so that a file read and written again comes out byte for byte the same.
///
/// With `neutralizesFormulas`, a cell that a spreadsheet would run as a formula (one starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return) is written with an apostrophe in front, which spreadsheets show as
/// text. A cell that is only a number (`+256772000111`, `-3.5`) runs nothing and is written as it is, so that
/// phone numbers in E.164 form survive. `CSVReader` users undo the apostrophe with `CSVWriter.unneutralized`.
public final class CSVWriter {
    public let sink: any ByteSink
    public let delimiter: UInt8
    public let neutralizesFormulas: Bool
    private var buffer: [UInt8] = []
    private var fieldsInRow = 0

    public init(sink: any ByteSink, delimiter: UInt8 = UInt8(ascii: ","), neutralizesFormulas: Bool = true) {
        self.sink = sink
        self.delimiter = delimiter
        self.neutralizesFormulas = neutralizesFormulas
        buffer.reserveCapacity(64 * 1024)
    }

    /// Adds one field to the current row; nil is an empty field.
    public func field(_ text: String?) {
        if fieldsInRow > 0 { buffer.append(delimiter) }
        fieldsInRow += 1
        guard var text, !text.isEmpty else { return }
        text.withUTF8 { bytes in
            var needsQuotes = false
            for byte in bytes where byte == delimiter || byte == 0x22 || byte == 0x0A || byte == 0x0D {
                needsQuotes = true
                break
            }
            let neutralize = neutralizesFormulas && Self.startsFormula(bytes)
            if needsQuotes { buffer.append(0x22) }
            if neutralize { buffer.append(UInt8(ascii: "'")) }
            if needsQuotes {
                for byte in bytes {
                    if byte == 0x22 { buffer.append(0x22) }
                    buffer.append(byte)
                }
                buffer.append(0x22)
            } else {
                buffer.append(contentsOf: bytes)
            }
        }
    }

    /// Ends the current row, and passes the buffered bytes on once they fill a chunk.
    public func endRow() throws {
        buffer.append(0x0D)
        buffer.append(0x0A)
        fieldsInRow = 0
        if buffer.count >= 60 * 1024 { try flushBuffer() }
    }

    /// Writes a whole row.
    public func row(_ fields: [String?]) throws {
        for field in fields { self.field(field) }
        try endRow()
    }

    /// Passes everything written so far to the sink and flushes it.
    public func flush() throws {
        try flushBuffer()
        try sink.flush()
    }

    private func flushBuffer() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try sink.write($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Whether a cell would start a spreadsheet formula and is not simply a number.
    static func startsFormula(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first else { return false }
        switch first {
        case UInt8(ascii: "="), UInt8(ascii: "@"), 0x09, 0x0D: return true
        case UInt8(ascii: "+"), UInt8(ascii: "-"): return !isSignedNumber(bytes)
        default: return false
        }
    }

    private static func isSignedNumber(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count > 1 else { return false }
        var dots = 0
        for byte in bytes.dropFirst() {
            if byte == UInt8(ascii: ".") {
                dots += 1
            } else if !(0x30...0x39).contains(byte) {
                return false
            }
        }
        return dots <= 1
    }

    /// A cell as it was before `neutralizesFormulas` put an apostrophe in front of it.
    ///
    /// A cell that really began with an apostrophe followed by `=`, `+`, `-`, `@`, a tab or a carriage return
    /// loses the apostrophe: the price of round trips through spreadsheets-safe files.
    public static func unneutralized(_ text: String) -> String {
        let bytes = text.utf8
        guard bytes.count >= 2, bytes.first == UInt8(ascii: "'") else { return text }
        let second = bytes[bytes.index(after: bytes.startIndex)]
        switch second {
        case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D:
            return String(text.dropFirst())
        default:
            return text
        }
    }
}
