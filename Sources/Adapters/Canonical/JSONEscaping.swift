/// How text goes between the quotes of a JSON string, as the canonical writers spell it (the spelling
/// `JSONEncoder` uses, which the canonical output matches byte for byte): which text needs escaping, and
/// what each byte that does becomes.
enum JSONEscaping {
    /// Whether `utf8` can stand between quotes as it is: no quote, backslash or control byte in it.
    static func isPlain(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C { return false }
        return true
    }

    /// What `byte` becomes inside a JSON string when it must be escaped; nil when it stands as it is.
    static func escape(_ byte: UInt8) -> [UInt8]? {
        byte < 0x20 || byte == 0x22 || byte == 0x5C ? sequences[Int(byte)] : nil
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
        case 0..<0x20: return Array(#"\u00"#.utf8) + [hexDigit(UInt8(byte >> 4)), hexDigit(UInt8(byte & 0xF))]
        default: return []
        }
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? 0x30 + value : 0x61 + value - 10
    }
}
