import PrimesModel

/// Writes JSON through a pointer into memory reserved beforehand, for the direct paths that write millions of
/// records: no capacity check per byte, no reference counting, no exclusivity checks.
///
/// It escapes strings exactly as `CanonicalJSONOutput` does; each write checks that it stays inside the memory
/// it was given and stops the process otherwise, so a wrong size estimate cannot corrupt memory.
struct JSONByteCursor {
    private(set) var position: UnsafeMutablePointer<UInt8>
    private let end: UnsafeMutablePointer<UInt8>

    /// A cursor that writes the `count` bytes from `start` on.
    init(start: UnsafeMutablePointer<UInt8>, count: Int) {
        position = start
        end = start + count
    }

    /// How many bytes are left.
    var room: Int {
        end - position
    }

    @inline(__always)
    mutating func byte(_ value: UInt8) {
        precondition(position < end, "JSON cursor past its buffer")
        position.initialize(to: value)
        position += 1
    }

    @inline(__always)
    mutating func raw(_ bytes: UnsafeBufferPointer<UInt8>) {
        precondition(end - position >= bytes.count, "JSON cursor past its buffer")
        guard let base = bytes.baseAddress else { return }
        position.update(from: base, count: bytes.count)
        position += bytes.count
    }

    @inline(__always)
    mutating func literal(_ text: StaticString) {
        raw(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func boolean(_ flag: Bool) {
        if flag { literal("true") } else { literal("false") }
    }

    /// A number that is not negative, in decimal.
    mutating func integer(_ number: Int) {
        precondition(number >= 0 && end - position >= 20, "JSON cursor past its buffer")
        var digits = 1
        var rest = number / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        rest = number
        for index in stride(from: digits - 1, through: 0, by: -1) {
            position[index] = 0x30 + UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
        position += digits
    }

    /// `utf8` as a JSON string, at most six bytes written for each byte read.
    mutating func string(_ utf8: UnsafeBufferPointer<UInt8>) {
        byte(0x22)
        if JSONEscape.isPlain(utf8) {
            raw(utf8)
        } else {
            for byte in utf8 { escaped(byte) }
        }
        byte(0x22)
    }

    mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { string($0) }
    }

    private mutating func escaped(_ byte: UInt8) {
        if let sequence = JSONEscape.escape(byte) {
            sequence.withUnsafeBufferPointer { raw($0) }
        } else {
            self.byte(byte)
        }
    }
}
