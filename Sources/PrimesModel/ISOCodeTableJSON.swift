/// Reads the shape of Debian's `iso-codes` JSON tables, and only that: one object whose members are arrays
/// of flat objects with string values (`{"639-3": [{"alpha_3": "aaa", "name": "Ghotuo"}, …]}`).
///
/// Every command that validates loads the ISO 639-3 table (8,000 rows) first; Foundation's
/// `JSONSerialization` spent about 0.08 s on it, a tenth of a small conversion, as `Any` trees. This reads
/// the rows straight into dictionaries. Anything outside the shape is refused as malformed.
struct ISOCodeTableJSON {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    struct Malformed: Error {}

    /// The rows of `table` in `bytes`; nil when the document has no member of that name.
    static func rows(of table: String, in bytes: UnsafeRawBufferPointer) throws(Malformed) -> [[String: String]]? {
        var reader = ISOCodeTableJSON(bytes: bytes)
        var found: [[String: String]]?
        try reader.expect(UInt8(ascii: "{"))
        try reader.members(closedBy: UInt8(ascii: "}")) { reader, key throws(Malformed) in
            let rows = try reader.rowArray()
            if key == table { found = rows }
        }
        reader.skipSpace()
        guard reader.position == bytes.count else { throw Malformed() }
        return found
    }

    private init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    private mutating func rowArray() throws(Malformed) -> [[String: String]] {
        var rows: [[String: String]] = []
        try expect(UInt8(ascii: "["))
        skipSpace()
        if peek() == UInt8(ascii: "]") {
            position += 1
            return rows
        }
        while true {
            // Rows have up to eight members: sized once rather than grown.
            var row = [String: String](minimumCapacity: 8)
            try expect(UInt8(ascii: "{"))
            try members(closedBy: UInt8(ascii: "}")) { reader, key throws(Malformed) in
                row[key] = try reader.string()
            }
            rows.append(row)
            skipSpace()
            guard let byte = next() else { throw Malformed() }
            if byte == UInt8(ascii: "]") { return rows }
            guard byte == UInt8(ascii: ",") else { throw Malformed() }
        }
    }

    /// Reads `"key": value` pairs up to `close`, the opening brace already read; `value` reads each value.
    private mutating func members(
        closedBy close: UInt8, _ value: (inout ISOCodeTableJSON, String) throws(Malformed) -> Void
    ) throws(Malformed) {
        skipSpace()
        if peek() == close {
            position += 1
            return
        }
        while true {
            let key = try string()
            try expect(UInt8(ascii: ":"))
            try value(&self, key)
            skipSpace()
            guard let byte = next() else { throw Malformed() }
            if byte == close { return }
            guard byte == UInt8(ascii: ",") else { throw Malformed() }
        }
    }

    private mutating func string() throws(Malformed) -> String {
        try expect(UInt8(ascii: "\""))
        let start = position
        while let byte = peek(), byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\"), byte >= 0x20 {
            position += 1
        }
        guard peek() == UInt8(ascii: "\\") else {
            guard next() == UInt8(ascii: "\"") else { throw Malformed() }
            return try text(UnsafeRawBufferPointer(rebasing: bytes[start..<position - 1]))
        }
        // Escapes are rare in these tables: collect the text byte by byte from the first one on.
        var collected = Array(bytes[start..<position])
        while let byte = next() {
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: collected, as: UTF8.self) else { throw Malformed() }
                return text
            case UInt8(ascii: "\\"):
                try appendEscape(to: &collected)
            case ..<0x20:
                throw Malformed()
            default:
                collected.append(byte)
            }
        }
        throw Malformed()
    }

    private mutating func appendEscape(to collected: inout [UInt8]) throws(Malformed) {
        guard JSONEscape.decode(from: { next() }, into: &collected) else { throw Malformed() }
    }

    /// The bytes as text; the tables are UTF-8, and anything else is refused rather than repaired.
    private func text(_ buffer: UnsafeRawBufferPointer) throws(Malformed) -> String {
        // Codes and most names are ASCII, which is valid UTF-8 as it is; validating cost a quarter of the load.
        if !buffer.contains(where: { $0 >= 0x80 }) { return String(decoding: buffer, as: UTF8.self) }
        guard let text = String(validating: buffer, as: UTF8.self) else { throw Malformed() }
        return text
    }

    private mutating func expect(_ byte: UInt8) throws(Malformed) {
        skipSpace()
        guard next() == byte else { throw Malformed() }
    }

    private func peek() -> UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    private mutating func next() -> UInt8? {
        guard position < bytes.count else { return nil }
        position += 1
        return bytes[position - 1]
    }

    private mutating func skipSpace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }
}
