import Foundation
import PrimesModel
import Testing

@Suite("Partial dates")
struct PartialDateTests {
    @Test(
        "keeps exactly the precision the source gave",
        arguments: [
            ("1975", PartialDate.Precision.year), ("1975-03", .month), ("1975-03-12", .day),
        ])
    func precisionFollowsText(text: String, precision: PartialDate.Precision) throws {
        let date = try PartialDate(iso: text)
        #expect(date.precision == precision)
        #expect(date.isoText == text)
    }

    @Test("a year alone never gains a month or a day")
    func yearOnlyStaysYear() throws {
        let date = try PartialDate(iso: "1961", estimated: true)
        #expect(date.month == nil)
        #expect(date.day == nil)
        #expect(date.estimated)
    }

    @Test(
        "rejects impossible and malformed dates",
        arguments: [
            "2001-02-29", "2023-13", "1975-3-12", "75", "1975-03-12T00:00:00Z", "", "abcd", "0000",
        ])
    func rejectsBadText(text: String) {
        #expect(throws: PartialDateError.self) { try PartialDate(iso: text) }
    }

    @Test("29 February exists only in leap years")
    func leapDay() throws {
        #expect(try PartialDate(iso: "2000-02-29").day == 29)
        #expect(try PartialDate(iso: "2024-02-29").day == 29)
        #expect(throws: PartialDateError.dayOutOfRange) { try PartialDate(year: 1900, month: 2, day: 29) }
    }

    @Test("a day without a month is refused")
    func dayWithoutMonth() {
        #expect(throws: PartialDateError.dayWithoutMonth) { try PartialDate(year: 1990, day: 4) }
    }

    @Test("generalising cuts precision and keeps the estimated flag")
    func generalize() throws {
        let date = try PartialDate(iso: "1988-07-21", estimated: true)
        #expect(date.generalized(to: .year).isoText == "1988")
        #expect(date.generalized(to: .month).isoText == "1988-07")
        #expect(date.generalized(to: .year).estimated)
    }

    @Test("JSON round trip writes value, precision and estimated")
    func codable() throws {
        let date = try PartialDate(iso: "2012-11", estimated: false)
        let json = String(decoding: try JSONEncoder().encode(date), as: UTF8.self)
        #expect(json.contains("\"precision\":\"month\""))
        #expect(try JSONDecoder().decode(PartialDate.self, from: Data(json.utf8)) == date)
    }

    @Test("a stated precision that contradicts the value is an error")
    func precisionMismatch() {
        let json = #"{"value":"1999-04","precision":"day","estimated":false}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(PartialDate.self, from: Data(json.utf8)) }
    }
}
