import PrimesModel

/// A pull parser over one JSON document in memory, for readers that know the shape they expect.
///
/// Instead of building a tree and then decoding it, a reader asks for what it expects next (an object's
/// members, a string, a number), so a record is read in one pass with no intermediate values. The scanner
/// keeps the path of the value being read, so that every error names its field: `birthDate.value`.
public struct JSONScanner {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private var path: [PathStep] = []

    private enum PathStep {
        case key(String)
        case index(Int)
    }

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The dotted path of the value being read, as error messages name it.
    public var fieldPath: String {
        var text = ""
        for step in path {
            switch step {
            case .key(let key): text += text.isEmpty ? key : "." + key
            case .index(let index): text += "[\(index)]"
            }
        }
        return text.isEmpty ? "record" : text
    }

    /// An error about the value being read.
    public func error(_ rule: String) -> JSONScanError {
        JSONScanError(field: fieldPath, rule: rule)
    }

    // MARK: - Structure

    /// Reads an object, calling `member` with each key; `member` must read the value.
    public mutating func readObject(_ member: (inout JSONScanner, String) throws(JSONScanError) -> Void)
        throws(JSONScanError)
    {
        try expect(UInt8(ascii: "{"), "must be an object")
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
            return
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw error("not valid JSON") }
            let key = try readStringBody()
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "not valid JSON")
            path.append(.key(key))
            try member(&self, key)
            path.removeLast()
            skipWhitespace()
            switch next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"): return
            default: throw error("not valid JSON")
            }
        }
    }

    /// Reads an array, calling `element` with each index; `element` must read the value.
    public mutating func readArray(_ element: (inout JSONScanner, Int) throws(JSONScanError) -> Void)
        throws(JSONScanError)
    {
        try expect(UInt8(ascii: "["), "must be a list")
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            position += 1
            return
        }
        var index = 0
        while true {
            path.append(.index(index))
            try element(&self, index)
            path.removeLast()
            index += 1
            skipWhitespace()
            switch next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "]"): return
            default: throw error("not valid JSON")
            }
        }
    }

    /// Reads an array of strings.
    public mutating func readStrings() throws(JSONScanError) -> [String] {
        var strings: [String] = []
        try readArray { (scanner: inout JSONScanner, _) throws(JSONScanError) in
            strings.append(try scanner.readString())
        }
        return strings
    }

    /// Consumes a `null` if one comes next; optional fields treat null as absent.
    public mutating func skipNull() -> Bool {
        skipWhitespace()
        guard bytes.count - position >= 4, peek() == UInt8(ascii: "n"), matches("null") else { return false }
        position += 4
        return true
    }

    /// Throws unless only whitespace is left.
    public mutating func expectEnd() throws(JSONScanError) {
        skipWhitespace()
        if position != bytes.count { throw JSONScanError(field: "record", rule: "not valid JSON") }
    }

    // MARK: - Scalars

    public mutating func readString() throws(JSONScanError) -> String {
        skipWhitespace()
        guard peek() == UInt8(ascii: "\"") else { throw error("must be text") }
        return try readStringBody()
    }

    public mutating func readBool() throws(JSONScanError) -> Bool {
        skipWhitespace()
        if matches("true") {
            position += 4
            return true
        }
        if matches("false") {
            position += 5
            return false
        }
        throw error("must be true or false")
    }

    public mutating func readInt() throws(JSONScanError) -> Int {
        skipWhitespace()
        let start = position
        if peek() == UInt8(ascii: "-") { position += 1 }
        while let byte = peek(), byte >= 0x30 && byte <= 0x39 { position += 1 }
        if let byte = peek(), byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            throw error("must be a whole number")
        }
        guard position > start, let number = Int(text(start..<position)) else { throw error("must be a number") }
        return number
    }

    /// Reads any JSON value, for fields whose shape the reader does not know (extensions).
    public mutating func readValue() throws(JSONScanError) -> JSONValue {
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: "{"):
            var object: [String: JSONValue] = [:]
            try readObject { (scanner: inout JSONScanner, key) throws(JSONScanError) in
                object[key] = try scanner.readValue()
            }
            return .object(object)
        case UInt8(ascii: "["):
            var array: [JSONValue] = []
            try readArray { (scanner: inout JSONScanner, _) throws(JSONScanError) in
                array.append(try scanner.readValue())
            }
            return .array(array)
        case UInt8(ascii: "\""):
            return .string(try readStringBody())
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            return .bool(try readBool())
        case UInt8(ascii: "n"):
            if skipNull() { return .null }
            throw error("not valid JSON")
        default:
            return .number(try readNumber())
        }
    }

    /// Skips one value of any kind without building it.
    public mutating func skipValue() throws(JSONScanError) {
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: "{"):
            try readObject { (scanner: inout JSONScanner, _) throws(JSONScanError) in try scanner.skipValue() }
        case UInt8(ascii: "["):
            try readArray { (scanner: inout JSONScanner, _) throws(JSONScanError) in try scanner.skipValue() }
        case UInt8(ascii: "\""):
            _ = try readStringBody()
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            _ = try readBool()
        case UInt8(ascii: "n"):
            if !skipNull() { throw error("not valid JSON") }
        default:
            _ = try readNumber()
        }
    }

    // MARK: - Bytes

    private mutating func readNumber() throws(JSONScanError) -> Double {
        let start = position
        while let byte = peek(),
            (byte >= 0x30 && byte <= 0x39) || byte == 0x2B || byte == 0x2D || byte == 0x2E || byte == 0x45
                || byte == 0x65
        {
            position += 1
        }
        guard position > start, let number = Double(text(start..<position)) else { throw error("not valid JSON") }
        return number
    }

    /// Reads a string starting at its opening quote, decoding escapes.
    private mutating func readStringBody() throws(JSONScanError) -> String {
        position += 1
        let start = position
        while let byte = peek(), byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
            if byte < 0x20 { throw error("not valid JSON") }
            position += 1
        }
        guard let stop = peek() else { throw error("not valid JSON") }
        if stop == UInt8(ascii: "\"") {
            position += 1
            return try validatedText(start..<position - 1)
        }
        var collected = Array(bytes[start..<position])
        while let byte = next() {
            switch byte {
            case UInt8(ascii: "\""):
                return try validatedText(collected)
            case UInt8(ascii: "\\"):
                try appendEscape(to: &collected)
            case 0..<0x20:
                throw error("not valid JSON")
            default:
                collected.append(byte)
            }
        }
        throw error("not valid JSON")
    }

    private mutating func appendEscape(to collected: inout [UInt8]) throws(JSONScanError) {
        guard JSONEscape.decode(from: { next() }, into: &collected) else { throw error("not valid JSON") }
    }

    private func validatedText(_ range: Range<Int>) throws(JSONScanError) -> String {
        let slice = UnsafeRawBufferPointer(rebasing: bytes[range])
        // Most canonical text is ASCII, which needs no validation; checking that first is much cheaper.
        if slice.allSatisfy({ $0 < 0x80 }) { return String(decoding: slice, as: UTF8.self) }
        guard let text = String(validating: slice, as: UTF8.self) else { throw error("not valid UTF-8") }
        return text
    }

    private func validatedText(_ collected: [UInt8]) throws(JSONScanError) -> String {
        guard let text = String(validating: collected, as: UTF8.self) else { throw error("not valid UTF-8") }
        return text
    }

    private func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    private func matches(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - position >= count else { return false }
        for offset in 0..<count where bytes[position + offset] != literal.utf8Start[offset] { return false }
        return true
    }

    private mutating func expect(_ byte: UInt8, _ rule: String) throws(JSONScanError) {
        skipWhitespace()
        guard peek() == byte else { throw error(rule) }
        position += 1
    }

    private func peek() -> UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    private mutating func next() -> UInt8? {
        guard position < bytes.count else {
            position += 1
            return nil
        }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }
}

/// A value that is not what the reader expects, with the field's path and the rule.
public struct JSONScanError: Error, Sendable, Equatable {
    public var field: String
    public var rule: String

    public init(field: String, rule: String) {
        self.field = field
        self.rule = rule
    }

    public var issue: FieldIssue {
        FieldIssue(field: field, rule: rule)
    }
}
