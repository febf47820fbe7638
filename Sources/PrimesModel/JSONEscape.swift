/// The escapes of JSON strings (`\n`, `\"`, `\u00e9`, a surrogate pair `\ud83d\ude00`), decoded alike by every
/// JSON reader of the project (the canonical scanner, PING's streaming parser, the ISO table reader) and
/// written alike by every writer, in the spelling of `JSONEncoder` without escaped slashes, which the canonical
/// output matches byte for byte.
public enum JSONEscape {
    // MARK: - Writing

    /// Whether `utf8` can stand between quotes as it is: no quote, backslash or control byte in it.
    public static func isPlain(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = utf8.baseAddress else { return true }
        // Eight bytes at a time, as the canonical encoders ask this of every string they write.
        let raw = UnsafeRawPointer(base)
        let count = utf8.count
        if count >= 8 {
            var position = 0
            while position + 8 < count {
                if needsEscape(raw.loadUnaligned(fromByteOffset: position, as: UInt64.self)) { return false }
                position += 8
            }
            // The last eight bytes, overlapping some already read, rather than the rest one by one.
            return !needsEscape(raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
        }
        if count >= 4 {
            // The first and the last four bytes, overlapping when fewer than eight, as one word.
            let first = UInt64(raw.loadUnaligned(as: UInt32.self))
            let last = UInt64(raw.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self))
            return !needsEscape(first | last &<< 32)
        }
        for position in 0..<count {
            let byte = base[position]
            if byte < 0x20 || byte == 0x22 || byte == 0x5C { return false }
        }
        return true
    }

    /// Whether any of the eight bytes of `word` is a control byte, a quote or a backslash. Each test sets a
    /// byte's top bit only when some byte of the word matches (borrows reach no byte below a match), and the
    /// bytes of 0x80 and above never match.
    private static func needsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let tops: UInt64 = 0x8080_8080_8080_8080
        let control = (word &- ones &* 0x20) & ~word
        let quote = ((word ^ (ones &* 0x22)) &- ones) & ~(word ^ (ones &* 0x22))
        let backslash = ((word ^ (ones &* 0x5C)) &- ones) & ~(word ^ (ones &* 0x5C))
        return (control | quote | backslash) & tops != 0
    }

    /// What `byte` becomes inside a JSON string when it must be escaped; nil when it stands as it is.
    public static func escape(_ byte: UInt8) -> [UInt8]? {
        byte < 0x20 || byte == 0x22 || byte == 0x5C ? sequences[Int(byte)] : nil
    }

    /// Appends `text` to `out` as a JSON string, quotes included.
    public static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        out.append(0x22)
        var text = text
        text.withUTF8 { utf8 in
            guard !isPlain(utf8) else {
                out.append(contentsOf: utf8)
                return
            }
            for byte in utf8 {
                if let sequence = escape(byte) { out.append(contentsOf: sequence) } else { out.append(byte) }
            }
        }
        out.append(0x22)
    }

    /// The escape of each byte up to the backslash (0x5C); empty for the bytes that need none.
    private static let sequences: [[UInt8]] = (0...0x5C).map { (byte: Int) -> [UInt8] in
        switch byte {
        case 0x22: return Array(#"\""#.utf8)
        case 0x5C: return Array(#"\\"#.utf8)
        case 0x0A: return Array(#"\n"#.utf8)
        case 0x0D: return Array(#"\r"#.utf8)
        case 0x09: return Array(#"\t"#.utf8)
        case 0x08: return Array(#"\b"#.utf8)
        case 0x0C: return Array(#"\f"#.utf8)
        case 0..<0x20:
            let digits = Array("0123456789abcdef".utf8)
            return Array(#"\u00"#.utf8) + [digits[byte >> 4], digits[byte & 0xF]]
        default: return []
        }
    }

    // MARK: - Reading

    /// Reads the escape that follows a backslash, taking its bytes from `next`, and appends what it stands for,
    /// as UTF-8, to `text`.
    ///
    /// - Returns: false when the escape is malformed: missing, an unknown letter, a `\u` without four hex
    ///   digits, a high surrogate without its low one, or a lone low surrogate.
    public static func decode(from next: () throws -> UInt8?, into text: inout [UInt8]) rethrows -> Bool {
        guard let letter = try next() else { return false }
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(letter)
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "u"):
            guard var scalar = try hexQuad(next) else { return false }
            if (0xD800..<0xDC00).contains(scalar) {
                // A high surrogate is followed by `\u` and a low one; together they name one scalar.
                guard try next() == UInt8(ascii: "\\"), try next() == UInt8(ascii: "u"), let low = try hexQuad(next),
                    (0xDC00..<0xE000).contains(low)
                else { return false }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { return false }
            UTF8.encode(unicode) { text.append($0) }
        default:
            return false
        }
        return true
    }

    private static func hexQuad(_ next: () throws -> UInt8?) rethrows -> UInt32? {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = try next(), let digit = hexDigit(byte) else { return nil }
            value = value << 4 | digit
        }
        return value
    }

    private static func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
