import PrimesModel

/// Converts single values between what Primero instances send, what its schema accepts, and canonical JSON.
///
/// Reading is tolerant of the type drift real instances return (`"18"` for 18, `"true"` for true, a number
/// for an identifier); writing produces exactly the schema's types. Rules never quote the value, which may be
/// personal.
enum PrimeroValue {
    /// Whether a value carries nothing: null, an empty text or an empty list.
    static func isEmpty(_ value: JSONValue) -> Bool {
        switch value {
        case .null: true
        case .string(let text): text.trimmingWhitespace.isEmpty
        case .array(let items): items.isEmpty
        default: false
        }
    }

    /// Reads a value Primero sent, for a field of `type`.
    static func read(_ value: JSONValue, as type: PrimeroFieldRule.ValueType) throws(PrimeroValueError) -> JSONValue {
        switch type {
        case .text, .lookup, .caseId, .adminCode:
            guard let text = value.scalarText else { throw .expected("text") }
            return .string(text.trimmingWhitespace)
        case .integer:
            return .number(Double(try integer(value)))
        case .boolean:
            return .bool(try boolean(value))
        case .date:
            return .string(try date(value))
        case .dateTime:
            guard case .string(let text) = value, Timestamp.isISO8601DateTime(text) else {
                throw .expected("an ISO 8601 date-time")
            }
            return value
        case .lookups:
            switch value {
            case .array(let items):
                var codes: [JSONValue] = []
                for item in items {
                    guard let text = item.scalarText else { throw .expected("a list of lookup ids") }
                    codes.append(.string(text))
                }
                return .array(codes)
            default:
                // A single id where a list is expected: older instances send multi-selects that way.
                guard let text = value.scalarText else { throw .expected("a list of lookup ids") }
                return .array([.string(text)])
            }
        case .family:
            guard case .array = value else { throw .expected("a list of subform rows") }
            return value
        }
    }

    /// Writes a value the way Primero's strict schema demands, for a field of `type`.
    static func write(_ value: JSONValue, as type: PrimeroFieldRule.ValueType) throws(PrimeroValueError) -> JSONValue {
        switch type {
        case .text, .lookup, .caseId, .adminCode, .dateTime:
            guard let text = value.scalarText else { throw .expected("text") }
            return .string(text)
        case .integer:
            return .number(Double(try integer(value)))
        case .boolean:
            return .bool(try boolean(value))
        case .date:
            return .string(try date(value))
        case .lookups:
            guard case .array(let items) = try read(value, as: .lookups) else {
                throw .expected("a list of lookup ids")
            }
            return .array(items)
        case .family:
            return value
        }
    }

    static func integer(_ value: JSONValue) throws(PrimeroValueError) -> Int {
        switch value {
        case .number(let number) where number.rounded() == number && abs(number) < 1e15:
            return Int(number)
        case .string(let text):
            guard let number = Int(text.trimmingWhitespace) else { throw .expected("a whole number") }
            return number
        default:
            throw .expected("a whole number")
        }
    }

    static func boolean(_ value: JSONValue) throws(PrimeroValueError) -> Bool {
        switch value {
        case .bool(let flag): return flag
        case .string("true"): return true
        case .string("false"): return false
        default: throw .expected("true or false")
        }
    }

    /// A full `YYYY-MM-DD` date; a date-time is cut to its date, as instances send both.
    static func date(_ value: JSONValue) throws(PrimeroValueError) -> String {
        guard case .string(let text) = value else { throw .expected("a date YYYY-MM-DD") }
        let day = String(text.prefix(10))
        guard text.count == 10 || text.dropFirst(10).first == "T",
            let parsed = try? PartialDate(iso: day), parsed.precision == .day
        else { throw .expected("a date YYYY-MM-DD") }
        return day
    }
}

/// A value of the wrong type for its field.
enum PrimeroValueError: Error, Sendable, Equatable, CustomStringConvertible {
    case expected(String)

    var description: String {
        switch self {
        case .expected(let what): "must be \(what)"
        }
    }
}

extension String {
    var trimmingWhitespace: String {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}
