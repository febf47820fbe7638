import PrimesModel

/// The named ways a civil-registration dialect writes a partial date. A parser never invents a day or a
/// month: what the text leaves out stays out of the canonical date.
public enum CivilDateParser: Sendable {
    /// ISO 8601 union dates: `1975`, `1975-03`, `1975-03-12`, or a date-time whose date part is taken.
    case iso
    /// Eight digits with zeros for what is not known: `19750000` is 1975, `19750300` is March 1975.
    case zeroFilled
    /// Separate year, month and day elements under the rule's element; XSD `gMonth` (`--03`) and `gDay`
    /// (`---12`) forms are read, and written when `monthPrefix` / `dayPrefix` say so.
    case parts(Parts)

    public struct Parts: Sendable {
        public let year: (read: XPathExpression, write: XMLWritePath)
        public let month: (read: XPathExpression, write: XMLWritePath)?
        public let day: (read: XPathExpression, write: XMLWritePath)?
        public let monthPrefix: String
        public let dayPrefix: String
    }

    public init(name: String, parts: YAMLNode?) throws(CivilDateParserError) {
        switch name {
        case "iso": self = .iso
        case "zero-filled": self = .zeroFilled
        case "parts":
            func path(_ key: String) throws(CivilDateParserError) -> (XPathExpression, XMLWritePath)? {
                guard let text = parts?[key]?.scalar else { return nil }
                do { return (try XPathExpression(text), try XMLWritePath(text)) } catch { throw .badPart(key) }
            }
            guard let year = try path("year") else { throw .badPart("year") }
            self = .parts(
                Parts(
                    year: year, month: try path("month"), day: try path("day"),
                    monthPrefix: parts?["monthPrefix"]?.scalar ?? "",
                    dayPrefix: parts?["dayPrefix"]?.scalar ?? ""))
        default: throw .unknownParser(name)
        }
    }

    /// Reads one text form (`iso`, `zero-filled`).
    public func parse(_ text: String) throws(PartialDateError) -> PartialDate {
        switch self {
        case .iso:
            if let date = try Self.plainISO(text) { return date }
            guard let time = text.utf8.firstIndex(of: UInt8(ascii: "T")) else { return try PartialDate(iso: text) }
            return try PartialDate(iso: String(text[..<time]))
        case .zeroFilled:
            guard text.count == 8, text.allSatisfy(\.isASCII), let number = Int(text) else { throw .notISO }
            let year = number / 10_000
            let month = (number / 100) % 100
            let day = number % 100
            if month == 0 && day != 0 { throw .dayWithoutMonth }
            return try PartialDate(year: year, month: month == 0 ? nil : month, day: day == 0 ? nil : day)
        case .parts:
            return try PartialDate(iso: text)
        }
    }

    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` read straight from the bytes, with the checks of
    /// `PartialDate(year:month:day:)`; nil for any other text, which `PartialDate(iso:)` then reads.
    private static func plainISO(_ text: String) throws(PartialDateError) -> PartialDate? {
        var text = text
        let parts = text.withUTF8 { bytes -> (year: Int, month: Int?, day: Int?)? in
            guard bytes.count == 4 || bytes.count == 7 || bytes.count == 10 else { return nil }
            func number(_ range: Range<Int>) -> Int? {
                var value = 0
                for index in range {
                    let byte = bytes[index]
                    guard byte >= 0x30 && byte <= 0x39 else { return nil }
                    value = value * 10 + Int(byte - 0x30)
                }
                return value
            }
            guard let year = number(0..<4) else { return nil }
            var month: Int?
            var day: Int?
            if bytes.count >= 7 {
                guard bytes[4] == UInt8(ascii: "-"), let value = number(5..<7) else { return nil }
                month = value
            }
            if bytes.count == 10 {
                guard bytes[7] == UInt8(ascii: "-"), let value = number(8..<10) else { return nil }
                day = value
            }
            return (year, month, day)
        }
        guard let parts else { return nil }
        return try PartialDate(year: parts.year, month: parts.month, day: parts.day)
    }

    /// Reads separate parts, each text possibly in its XSD `gMonth` / `gDay` form.
    public static func fromParts(year: String, month: String?, day: String?) throws(PartialDateError) -> PartialDate {
        func number(_ text: String?) throws(PartialDateError) -> Int? {
            guard let text else { return nil }
            let digits = text.drop { $0 == "-" }
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits) else {
                throw .notISO
            }
            return value
        }
        guard let year = try number(year) else { throw .notISO }
        return try PartialDate(year: year, month: try number(month), day: try number(day))
    }

    /// Writes one text form.
    public func format(_ date: PartialDate) -> String {
        switch self {
        case .iso, .parts: return date.isoText
        case .zeroFilled:
            let year = String(date.year).leftPadded(4)
            return year + String(date.month ?? 0).leftPadded(2) + String(date.day ?? 0).leftPadded(2)
        }
    }
}

/// A date parser a mapping file names wrongly.
public enum CivilDateParserError: Error, Sendable, CustomStringConvertible {
    case unknownParser(String)
    case badPart(String)

    public var description: String {
        switch self {
        case .unknownParser(let name): "unknown date parser \"\(name)\" (known: iso, zero-filled, parts)"
        case .badPart(let part): "the parts parser needs a valid `\(part)` path under `parts`"
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
