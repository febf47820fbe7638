/// A calendar date known only as precisely as its source gave it: a year, a year and month, or a full day.
///
/// The gateway never invents a day or a month. A source that says "born 1975" produces
/// `PartialDate(year: 1975)` with precision `.year`; a writer whose format needs a full date must say so
/// rather than pad with January the first.
public struct PartialDate: Hashable, Sendable {
    /// How much of the date the source gave.
    public enum Precision: String, Codable, Sendable, CaseIterable {
        case year
        case month
        case day
    }

    public let year: Int
    public let month: Int?
    public let day: Int?
    /// Whether the source marked the date as an estimate (an age given in years, a guessed year of birth).
    public var estimated: Bool

    public var precision: Precision {
        if day != nil { return .day }
        if month != nil { return .month }
        return .year
    }

    /// Creates a partial date, rejecting impossible combinations such as a day without a month or 31 February.
    public init(year: Int, month: Int? = nil, day: Int? = nil, estimated: Bool = false) throws(PartialDateError) {
        guard (1...9999).contains(year) else { throw .yearOutOfRange }
        if let month {
            guard (1...12).contains(month) else { throw .monthOutOfRange }
        }
        if let day {
            guard let month else { throw .dayWithoutMonth }
            guard (1...Self.daysIn(month: month, year: year)).contains(day) else { throw .dayOutOfRange }
        }
        self.year = year
        self.month = month
        self.day = day
        self.estimated = estimated
    }

    /// Parses the ISO 8601 forms `YYYY`, `YYYY-MM` and `YYYY-MM-DD`, the canonical text of a partial date.
    public init(iso text: String, estimated: Bool = false) throws(PartialDateError) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count), parts[0].count == 4, parts.dropFirst().allSatisfy({ $0.count == 2 })
        else { throw .notISO }
        var numbers: [Int] = []
        for part in parts {
            guard part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let number = Int(part) else { throw .notISO }
            numbers.append(number)
        }
        try self.init(
            year: numbers[0],
            month: numbers.count > 1 ? numbers[1] : nil,
            day: numbers.count > 2 ? numbers[2] : nil,
            estimated: estimated
        )
    }

    /// The ISO 8601 text at the date's own precision: `1975`, `1975-03` or `1975-03-12`.
    public var isoText: String {
        var text = String(year).leftPadded(to: 4)
        if let month { text += "-" + String(month).leftPadded(to: 2) }
        if let day { text += "-" + String(day).leftPadded(to: 2) }
        return text
    }

    /// The same date cut down to a coarser precision, as a data-sharing agreement may demand.
    public func generalized(to precision: Precision) -> PartialDate {
        switch precision {
        case .day: return self
        case .month: return Self(unchecked: year, month, nil, estimated)
        case .year: return Self(unchecked: year, nil, nil, estimated)
        }
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private init(unchecked year: Int, _ month: Int?, _ day: Int?, _ estimated: Bool) {
        self.year = year
        self.month = month
        self.day = day
        self.estimated = estimated
    }
}

/// Why a partial date could not be built.
public enum PartialDateError: Error, Sendable, Equatable, CustomStringConvertible {
    case notISO
    case yearOutOfRange
    case monthOutOfRange
    case dayOutOfRange
    case dayWithoutMonth
    case precisionMismatch

    public var description: String {
        switch self {
        case .notISO: "date must be YYYY, YYYY-MM or YYYY-MM-DD"
        case .yearOutOfRange: "year must be between 1 and 9999"
        case .monthOutOfRange: "month must be between 1 and 12"
        case .dayOutOfRange: "day does not exist in that month"
        case .dayWithoutMonth: "a day needs a month"
        case .precisionMismatch: "precision does not match the date's value"
        }
    }
}

extension PartialDate: Codable {
    private enum CodingKeys: String, CodingKey, CaseIterable {
        case value, precision, estimated
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let value = try container.decode(String.self, forKey: .value)
        let estimated = try container.decodeIfPresent(Bool.self, forKey: .estimated) ?? false
        do {
            try self.init(iso: value, estimated: estimated)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .value, in: container, debugDescription: error.description)
        }
        if let stated = try container.decodeIfPresent(Precision.self, forKey: .precision), stated != precision {
            throw DecodingError.dataCorruptedError(
                forKey: .precision,
                in: container,
                debugDescription: PartialDateError.precisionMismatch.description
            )
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(isoText, forKey: .value)
        try container.encode(precision, forKey: .precision)
        try container.encode(estimated, forKey: .estimated)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
