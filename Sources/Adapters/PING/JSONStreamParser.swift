import PrimesModel

/// A pull parser over a `ByteSource` that reads one JSON value at a time, so that a PING response of any
/// size is read with a fixed buffer plus the one `Data` item being decoded.
///
/// It tolerates `//` and `/* */` comments, because PING's published ingestion sample carries them.
/// Nesting is bounded by `maximumDepth` and a single string by `maximumStringBytes`, so a hostile document
/// cannot exhaust the stack or the memory.
final class JSONStreamParser {
    let source: any ByteSource
    /// The bytes read and not yet taken are `buffer[position..<count]`.
    ///
    /// WHY: memory the parser allocates and frees itself, held by a constant, rather than an array property:
    /// the array was refilled through a closure the compiler cannot see into, so every byte read from it was
    /// checked at run time for overlapping access, which cost more than the reading.
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private var count = 0
    private var position = 0
    private var atEnd = false
    /// The 1-based line of the byte under the cursor, for messages.
    private(set) var line = 1
    private let maximumDepth: Int
    private let maximumStringBytes: Int

    init(
        source: any ByteSource,
        chunkSize: Int = 64 * 1024,
        maximumDepth: Int = 64,
        maximumStringBytes: Int = 16 * 1024 * 1024
    ) {
        self.source = source
        self.buffer = UnsafeMutableBufferPointer.allocate(capacity: chunkSize)
        self.buffer.initialize(repeating: 0)
        self.maximumDepth = maximumDepth
        self.maximumStringBytes = maximumStringBytes
    }

    deinit {
        buffer.deallocate()
    }

    // MARK: - Structure

    /// Skips white space and comments, then returns the next significant byte without taking it (nil at the end).
    func peek() throws -> UInt8? {
        while true {
            guard let byte = try peekByte() else { return nil }
            switch byte {
            case 0x20, 0x09, 0x0D:
                position += 1
            case 0x0A:
                position += 1
                line += 1
            case UInt8(ascii: "/"):
                try skipComment()
            default:
                return byte
            }
        }
    }

    /// Takes `expected` as the next significant byte, or fails naming what was wanted.
    func expect(_ expected: UInt8, _ what: String) throws {
        guard try peek() == expected else { throw malformed("expected \(what)") }
        position += 1
    }

    /// Takes the next significant byte if it is `byte`.
    func take(_ byte: UInt8) throws -> Bool {
        guard try peek() == byte else { return false }
        position += 1
        return true
    }

    /// Reads an object key and its colon.
    func key() throws -> String {
        guard try peek() == UInt8(ascii: "\"") else { throw malformed("expected an object key") }
        let key = try string()
        try expect(UInt8(ascii: ":"), "':' after an object key")
        return key
    }

    /// After a member or element: true when another follows (a comma was taken), false at `closing`.
    func continues(until closing: UInt8) throws -> Bool {
        if try take(UInt8(ascii: ",")) { return true }
        if try take(closing) { return false }
        throw malformed(closing == UInt8(ascii: "}") ? "expected ',' or '}'" : "expected ',' or ']'")
    }

    /// The first byte of a value that starts at nesting `depth`, not taken; fails as `value(depth:)` does when
    /// the value is nested too deep or the input ends.
    func valueStart(depth: Int) throws -> UInt8 {
        guard depth < maximumDepth else { throw malformed("nested deeper than \(maximumDepth) levels") }
        guard let byte = try peek() else { throw malformed("unexpected end of input") }
        return byte
    }

    /// Takes the byte that `peek` or `valueStart` just returned.
    func advance() {
        position += 1
    }

    /// Reads one whole value.
    func value(depth: Int = 0) throws -> JSONValue {
        let byte = try valueStart(depth: depth)
        switch byte {
        case UInt8(ascii: "{"):
            position += 1
            var object: [String: JSONValue] = [:]
            if try take(UInt8(ascii: "}")) { return .object(object) }
            repeat {
                let name = try key()
                object[name] = try value(depth: depth + 1)
            } while try continues(until: UInt8(ascii: "}"))
            return .object(object)
        case UInt8(ascii: "["):
            position += 1
            var array: [JSONValue] = []
            if try take(UInt8(ascii: "]")) { return .array(array) }
            repeat { array.append(try value(depth: depth + 1)) } while try continues(until: UInt8(ascii: "]"))
            return .array(array)
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try number())
        default:
            throw malformed("unexpected character")
        }
    }

    /// An error at the cursor's line; never quotes the document's content.
    func malformed(_ reason: String) -> InputError {
        .malformed(RecordLocation(source: source.name, line: line), reason: "not valid JSON: \(reason)")
    }

    // MARK: - Scalars

    private func string() throws -> String {
        position += 1
        if let text = plainStringInBuffer() { return text }
        var bytes: [UInt8] = []
        while true {
            guard let byte = try nextByte() else { throw malformed("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: bytes, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try escape(into: &bytes)
            case 0x00..<0x20:
                throw malformed("control character in a string")
            default:
                bytes.append(byte)
            }
            if bytes.count > maximumStringBytes { throw malformed("a string longer than \(maximumStringBytes) bytes") }
        }
    }

    /// The string under the cursor when it ends inside the buffer with no escape or control byte, taken
    /// whole; nil (the cursor unmoved) otherwise.
    ///
    /// Almost every string of a PING document is such a string; making it straight from the buffer saves
    /// collecting it byte by byte into an array first.
    private func plainStringInBuffer() -> String? {
        let start = position
        let bytes = UnsafeBufferPointer(buffer)
        let end: Int? = {
            var scan = start
            while scan < count {
                let byte = bytes[scan]
                if byte == UInt8(ascii: "\"") { return scan }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                scan += 1
            }
            return nil
        }()
        guard let end, end - start <= maximumStringBytes else { return nil }
        position = end + 1
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    private func escape(into bytes: inout [UInt8]) throws {
        guard try JSONEscape.decode(from: { try nextByte() }, into: &bytes) else { throw malformed("invalid escape") }
    }

    private func number() throws -> Double {
        if let value = wholeNumberInBuffer() { return value }
        var text: [UInt8] = []
        while let byte = try peekByte(), Self.isNumberByte(byte), text.count < 64 {
            text.append(byte)
            position += 1
        }
        guard let value = Double(String(decoding: text, as: UTF8.self)), value.isFinite else {
            throw malformed("invalid number")
        }
        return value
    }

    /// The number under the cursor when it is a whole number of at most 15 digits (no sign but `-`, no leading
    /// zero, not `-0`) that ends inside the buffer, taken; nil (the cursor unmoved) otherwise.
    ///
    /// Such a number is exactly a `Double`, the value `Double(String)` gives; PING's option sets are all of
    /// this kind, and reading them here saves an array and a string per number.
    private func wholeNumberInBuffer() -> Double? {
        let start = position
        let bytes = UnsafeBufferPointer(buffer)
        let found: (end: Int, value: Int)? = {
            var scan = start
            let negative = bytes[scan] == UInt8(ascii: "-")
            if negative { scan += 1 }
            let firstDigit = scan
            var value = 0
            while scan < count, scan - firstDigit < 16 {
                let digit = bytes[scan] &- UInt8(ascii: "0")
                guard digit < 10 else { break }
                value = value * 10 + Int(digit)
                scan += 1
            }
            let digits = scan - firstDigit
            guard scan < count, !Self.isNumberByte(bytes[scan]), (1...15).contains(digits) else { return nil }
            guard bytes[firstDigit] != UInt8(ascii: "0") || (digits == 1 && !negative) else { return nil }
            return (scan, negative ? -value : value)
        }()
        guard let found else { return nil }
        position = found.end
        return Double(found.value)
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
            UInt8(ascii: "e"), UInt8(ascii: "E"):
            true
        default: false
        }
    }

    private func literal(_ word: String) throws {
        for byte in word.utf8 {
            guard try nextByte() == byte else { throw malformed("invalid literal") }
        }
    }

    private func skipComment() throws {
        position += 1
        switch try nextByte() {
        case UInt8(ascii: "/"):
            while let byte = try nextByte(), byte != 0x0A {}
            line += 1
        case UInt8(ascii: "*"):
            var previous: UInt8 = 0
            while true {
                guard let byte = try nextByte() else { throw malformed("unterminated comment") }
                if byte == 0x0A { line += 1 }
                if previous == UInt8(ascii: "*") && byte == UInt8(ascii: "/") { return }
                previous = byte
            }
        default:
            throw malformed("unexpected '/'")
        }
    }

    // MARK: - Bytes

    private func peekByte() throws -> UInt8? {
        if position == count {
            guard try refill() else { return nil }
        }
        return buffer[position]
    }

    private func nextByte() throws -> UInt8? {
        guard let byte = try peekByte() else { return nil }
        position += 1
        return byte
    }

    private func refill() throws -> Bool {
        guard !atEnd else { return false }
        let read = try source.read(into: UnsafeMutableRawBufferPointer(buffer))
        position = 0
        count = read
        if read == 0 { atEnd = true }
        return read > 0
    }
}
