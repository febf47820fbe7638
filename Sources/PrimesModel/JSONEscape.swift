/// The escapes of JSON strings (`\n`, `\"`, `\u00e9`, a surrogate pair `\ud83d\ude00`), decoded alike by every
/// JSON reader of the project: the canonical scanner, PING's streaming parser and the ISO table reader.
public enum JSONEscape {
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
