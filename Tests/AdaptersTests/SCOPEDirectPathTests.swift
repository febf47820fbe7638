import Adapters
import Foundation
import PrimesModel
import TestSupport
import Testing

/// The SCOPE CSV reader's direct path (households written straight as canonical NDJSON) against the general
/// path (rows decoded into the model, validated and written by `CanonicalWriter`): same bytes, same report.
@Suite("SCOPE CSV direct path")
struct SCOPEDirectPathTests {
    /// Converts `bytes` to canonical both ways: the direct path as the CLI takes it, and the general path,
    /// which any `onRecord` observer forces.
    private func bothWays(_ bytes: [UInt8], validateOnly: Bool = false) throws -> (
        direct: (output: [UInt8], report: String), general: (output: [UInt8], report: String)
    ) {
        let environment = TestEnvironment.adapters
        let context = environment.context()
        let format = try environment.registry.reader(named: "scope-csv")
        let makeReader = try #require(format.makeReader)
        func run(observe: Bool) throws -> (output: [UInt8], report: String) {
            let reader = try makeReader(MemoryInput(bytes, name: "t.csv"), context)
            let sink = MemoryOutput()
            var report = ConversionReport(from: "scope-csv", to: validateOnly ? "validate" : "canonical")
            let onRecord: ((SourceRecord) throws -> Void)? = observe ? { _ in } : nil
            try Conversion(validator: environment.validator).run(
                reader: reader, writer: validateOnly ? nil : CanonicalWriter(sink: sink), report: &report,
                onRecord: onRecord)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return (sink.bytes, String(decoding: try encoder.encode(report), as: UTF8.self))
        }
        return (try run(observe: false), try run(observe: true))
    }

    private func expectSame(_ csv: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (direct, general) = try bothWays(Array(csv.utf8))
        #expect(
            String(decoding: direct.output, as: UTF8.self) == String(decoding: general.output, as: UTF8.self),
            sourceLocation: sourceLocation)
        #expect(direct.report == general.report, sourceLocation: sourceLocation)
    }

    @Test func theFixtureGivesTheSameBytesAndReportBothWays() throws {
        let (direct, general) = try bothWays(try ScopeHarness.fixtureBytes())
        #expect(direct.output == general.output)
        #expect(direct.report == general.report)
        #expect(!direct.output.isEmpty)
    }

    @Test func validationAloneGivesTheSameReportBothWays() throws {
        let (direct, general) = try bothWays(try ScopeHarness.fixtureBytes(), validateOnly: true)
        #expect(direct.report == general.report)
    }

    @Test func cleanHouseholdsTakeTheDirectPath() throws {
        let csv = ScopeHarness.csv([
            ScopeHarness.row(member: "P-1"), ScopeHarness.row(member: "P-2", role: "SPOUSE", sex: "M"),
            ScopeHarness.row(household: "H-2", size: "1", member: "P-3"),
        ])
        let environment = TestEnvironment.adapters
        let makeReader = try #require(try environment.registry.reader(named: "scope-csv").makeReader)
        let reader = try #require(
            try makeReader(MemoryInput(Array(csv.utf8), name: "t.csv"), environment.context()) as? ScopeCSVReader)
        let block = try #require(try reader.nextBlock())
        let parts = reader.lines(from: block, validatingWith: environment.codeLists, encoding: true)
        #expect(parts.map(\.recordCount) == [5])
        #expect(parts.allSatisfy { $0.items.isEmpty })
        #expect(String(decoding: parts[0].lines, as: UTF8.self).split(separator: "\n").count == 5)
        #expect(try reader.nextBlock() == nil)
    }

    @Test func aHouseholdWithAProblemTakesTheGeneralPathAndIsReportedTheSame() throws {
        let csv = ScopeHarness.csv([
            ScopeHarness.row(member: "P-1"), ScopeHarness.row(member: "P-2", role: "SPOUSE", sex: "X"),
            ScopeHarness.row(household: "H-2", size: "1", member: "P-3"),
        ])
        let environment = TestEnvironment.adapters
        let makeReader = try #require(try environment.registry.reader(named: "scope-csv").makeReader)
        let reader = try #require(
            try makeReader(MemoryInput(Array(csv.utf8), name: "t.csv"), environment.context()) as? ScopeCSVReader)
        let block = try #require(try reader.nextBlock())
        let parts = reader.lines(from: block, validatingWith: environment.codeLists, encoding: true)
        // the first household goes the general path (its items), the second the direct path (its lines)
        #expect(parts.map(\.recordCount) == [0, 2])
        #expect(parts[0].items.contains { if case .rejected = $0 { true } else { false } })
        try expectSame(csv)
    }

    /// One household per case, each breaking (or nearly breaking) one rule, among clean households.
    @Test(arguments: [
        // codes
        "H-1,Household One,1,REFUGEE,VULNERABLE,2024-01-02,survey,LOC-1,,P-1,,Fam,Giv,HEAD,X,1990,Y,SSD,,NONE",
        "H-1,Household One,1,ALIEN,VULNERABLE,2024-01-02,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990,Y,SSD,,NONE",
        "H-1,Household One,1,REFUGEE,VERY,2024-01-02,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990,Y,SSD,,NONE",
        "H-1,Household One,1,REFUGEE,VULNERABLE,2024-01-02,survey,LOC-1,,P-1,,Fam,Giv,BOSS,F,1990,Y,SSD,,NONE",
        "H-1,Household One,1,REFUGEE,VULNERABLE,2024-01-02,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990,Y,SSD,,MAYBE",
        "H-1,Household One,1,refugee,VULNERABLE,2024-01-02,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990,Y,SSD,,NONE",
        // dates, flags and numbers
        "H-1,Household One,1,REFUGEE,VULNERABLE,2023-02-29,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990,Y,SSD,,NONE",
        "H-1,Household One,1,REFUGEE,VULNERABLE,2024-02-29,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990-13,Y,SSD,,NONE",
        "H-1,Household One,1,REFUGEE,VULNERABLE,2024-01-02,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,0000,Y,SSD,,NONE",
        "H-1,Household One,1,REFUGEE,VULNERABLE,2024-01-02,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,90,Y,SSD,,NONE",
        "H-1,Household One,1,REFUGEE,VULNERABLE,2024-01-02,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,,Y,SSD,,NONE",
        "H-1,Household One,1,REFUGEE,VULNERABLE,2024-01-02,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990,yes,SSD,,NONE",
        "H-1,Household One,01,REFUGEE,VULNERABLE,,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990-01-31,N,SSD,,NONE",
        "H-1,Household One,0,REFUGEE,VULNERABLE,,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990-01-31,N,SSD,,NONE",
        "H-1,Household One,2,REFUGEE,VULNERABLE,,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990-01-31,N,SSD,,NONE",
        "H-1,Household One,1.0,REFUGEE,VULNERABLE,,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990-01-31,N,SSD,,NONE",
        "H-1,Household One,,,,,,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990-01-31,N,SSD,,NONE",
        // nationality and phone
        "H-1,Household One,1,REFUGEE,VULNERABLE,,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990,Y,XXX,,NONE",
        "H-1,Household One,1,REFUGEE,VULNERABLE,,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990,Y,stateless,,NONE",
        "H-1,Household One,1,REFUGEE,VULNERABLE,,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990,Y,ssd,,NONE",
        "H-1,Household One,1,REFUGEE,VULNERABLE,,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990,Y,SSD,0700000101,NONE",
        "H-1,Household One,1,REFUGEE,VULNERABLE,,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990,Y,SSD,+25 (470) 000-01.01,NONE",
        "H-1,Household One,1,REFUGEE,VULNERABLE,,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990,Y,SSD,+12,NONE",
        "H-1,Household One,1,REFUGEE,VULNERABLE,,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990,Y,SSD,+2547000001019999,NONE",
        "H-1,Household One,1,REFUGEE,VULNERABLE,,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990,Y,SSD,+254 call me,NONE",
        // text: blank, quoted, escaped, neutralised, not ASCII, missing
        "H-1,Household One,1,REFUGEE,VULNERABLE,,survey,LOC-1,,P-1,,\" \",Giv,HEAD,F,1990,Y,SSD,,NONE",
        "H-1,Household One,1,REFUGEE,VULNERABLE,,survey,LOC-1,,P-1,\t,Fam,Giv,HEAD,F,1990,Y,SSD,,NONE",
        "H-1,Household One,1,REFUGEE,VULNERABLE,,survey,LOC-1,,\" P-1\",,Fam,Giv,HEAD,F,1990,Y,SSD,,NONE",
        " ,Household One,1,REFUGEE,VULNERABLE,,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990,Y,SSD,,NONE",
        "H-1,\"A \"\"quoted\"\", comma\",1,REFUGEE,VULNERABLE,,\"back\\\\slash\",LOC-1,\"two\r\nlines\",P-1,,Fam,Giv,HEAD,F,1990,Y,SSD,,NONE",
        "H-1,Household\tOne,1,REFUGEE,VULNERABLE,,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990,Y,SSD,,NONE",
        "H-1,'=Household One,1,REFUGEE,VULNERABLE,,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990,Y,SSD,,NONE",
        "H-1,'Household One,1,REFUGEE,VULNERABLE,,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990,Y,SSD,,NONE",
        "H-1,Household One,1,REFUGEE,VULNERABLE,,survey,LOC-1,,P-1,,Müller,Zoë,HEAD,F,1990,Y,SSD,,NONE",
        "H-1,Household One,1,REFUGEE,VULNERABLE,,survey,,,P-1,,Fam,Giv,HEAD,F,1990,Y,SSD,,NONE",
        "H-1,Household One,1,REFUGEE,VULNERABLE,,survey,,Somewhere,P-1,,Fam,,HEAD,,,,,,",
        "H-1,Household One,1,REFUGEE,VULNERABLE,,survey,LOC-1,,P-1,,,Giv,HEAD,F,1990,Y,SSD,,NONE",
        ",Household One,1,REFUGEE,VULNERABLE,,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990,Y,SSD,,NONE",
        "H-1,Household One,1,REFUGEE,VULNERABLE,,survey,LOC-1,,,,Fam,Giv,HEAD,F,1990,Y,SSD,,NONE",
        // rows that cannot be read
        "H-1,Household One,1,REFUGEE,VULNERABLE,,survey,LOC-1,,P-1,,Fam,Giv,HEAD,F,1990,Y,SSD,,NONE,extra",
        "H-1,Household One,1,REFUGEE,VULNERABLE,,survey,LOC-1,,P-1,,\"Fam\"x,Giv,HEAD,F,1990,Y,SSD,,NONE",
    ])
    func eachRuleGivesTheSameResultBothWays(row: String) throws {
        let clean = ScopeHarness.row(household: "H-0", size: "1", member: "P-0")
        let after = ScopeHarness.row(household: "H-9", size: "1", member: "P-9")
        try expectSame(ScopeHarness.csv([clean, row, after]))
    }

    @Test func householdChecksGiveTheSameResultBothWays() throws {
        let cases: [[String]] = [
            // two heads, no head, a son of unknown sex, members that disagree, a member listed twice
            [ScopeHarness.row(member: "P-1"), ScopeHarness.row(member: "P-2")],
            [ScopeHarness.row(member: "P-1", role: "SPOUSE"), ScopeHarness.row(member: "P-2", role: "SON", sex: "M")],
            [ScopeHarness.row(member: "P-1"), ScopeHarness.row(member: "P-2", role: "SON", sex: "U")],
            [ScopeHarness.row(member: "P-1"), ScopeHarness.row(name: "Other", member: "P-2", role: "SPOUSE")],
            [ScopeHarness.row(member: "P-1"), ScopeHarness.row(location: "LOC-2", member: "P-2", role: "SPOUSE")],
            [ScopeHarness.row(member: "P-1"), ScopeHarness.row(member: "P-1", role: "SPOUSE")],
            // both recipients, and a household whose rows are not contiguous
            [
                ScopeHarness.row(member: "P-1", recipient: "PRINCIPAL"),
                ScopeHarness.row(member: "P-2", role: "SPOUSE", recipient: "ALTERNATE"),
            ],
            [
                ScopeHarness.row(size: "1", member: "P-1"),
                ScopeHarness.row(household: "H-2", size: "1", member: "P-2"),
                ScopeHarness.row(size: "1", member: "P-3"),
            ],
            // an unreadable row inside a household does not split it
            [
                ScopeHarness.row(member: "P-1"), "H-1,too,few,fields",
                ScopeHarness.row(member: "P-2", role: "SPOUSE", sex: "M"),
            ],
        ]
        for rows in cases { try expectSame(ScopeHarness.csv(rows)) }
    }

    @Test func aColumnTheMappingDoesNotNameGivesTheSameResultBothWays() throws {
        let header = ScopeHarness.header + ",camp_block"
        let rows = [ScopeHarness.row(size: "1", member: "P-1") + ",B-7"]
        try expectSame(([header] + rows).map { $0 + "\r\n" }.joined())
    }

    @Test func bytesThatAreNotUTF8GiveTheSameResultBothWays() throws {
        var bytes = Array(ScopeHarness.csv([ScopeHarness.row(size: "1", member: "P-1")]).utf8)
        let clean = Array(ScopeHarness.csv([ScopeHarness.row(household: "H-2", size: "1", member: "P-2")]).utf8)
        bytes += Array("H-3,Household \u{FF},1,REFUGEE,VULNERABLE,,s,L,,P-3,,F,G,HEAD,F,,,,,\r\n".utf8).map {
            $0 == 0xC3 ? 0xFF : $0
        }
        bytes += clean.drop { $0 != 0x0A }.dropFirst()
        let (direct, general) = try bothWays(bytes)
        #expect(direct.output == general.output)
        #expect(direct.report == general.report)
    }

    /// Thousands of households built from valid and invalid values chosen by a fixed seed: whatever the mix,
    /// both paths give the same bytes and the same report.
    @Test func randomHouseholdsGiveTheSameResultBothWays() throws {
        var random = SeededRandom(seed: 20_261_203)
        let roles = ["SPOUSE", "SON", "DAUGHTER", "GRANDPARENT", "NOT_FAMILY", "SISTER", "BROTHER", "son", "X"]
        let sexes = ["F", "M", "U", "", "Q"]
        let dates = ["1990", "1990-02", "1990-02-28", "1990-02-30", "", "19900", "2000-1-1"]
        let flags = ["Y", "N", "", "y"]
        let nationalities = ["SSD", "KEN", "stateless", "unknown", "", "ZZZ"]
        let phones = ["+254700000101", "", "0700000101", "+1", "+254-700 (000) 101"]
        let recipients = ["NONE", "PRINCIPAL", "ALTERNATE", "", "OTHER"]
        let statuses = ["REFUGEE", "IDP", "", "REFUGE"]
        var rows: [String] = []
        for household in 0..<2_000 {
            let size = 1 + random.next(4)
            let stated = random.next(10) == 0 ? size + 1 : size
            let id = random.next(50) == 0 ? "HH-\(household / 2)" : "HH-\(household)"
            let shared =
                "\(id),Household \(household),\(stated),\(random.pick(statuses)),VULNERABLE,2020-05-05,survey,"
                + "LOC-\(household % 7),\(random.next(5) == 0 ? "\"Block 1, \"\"A\"\"\"" : "")"
            for member in 0..<size {
                let role = member == 0 ? (random.next(30) == 0 ? "SPOUSE" : "HEAD") : random.pick(roles)
                let name = random.next(40) == 0 ? "'=Name" : "Name\(member)"
                rows.append(
                    "\(random.next(80) == 0 ? shared.replacingOccurrences(of: "survey", with: "other") : shared),"
                        + "P-\(household)-\(random.next(60) == 0 ? 0 : member),SC-\(member),Fam,\(name),\(role),"
                        + "\(random.pick(sexes)),\(random.pick(dates)),\(random.pick(flags)),"
                        + "\(random.pick(nationalities)),\(random.pick(phones)),\(random.pick(recipients))")
            }
        }
        let (direct, general) = try bothWays(Array(ScopeHarness.csv(rows).utf8))
        #expect(direct.output == general.output)
        #expect(direct.report == general.report)
        // the mix must exercise both paths, or the comparison would prove nothing
        #expect(direct.report.contains("\"rejectedCount\":0") == false)
        #expect(direct.output.count > 100_000)
    }

    @Test func anInputErrorAfterManyHouseholdsStopsTheRunNamingItsLine() throws {
        let rows = (0..<3_000).map { ScopeHarness.row(household: "H-\($0)", size: "1", member: "P-\($0)") }
        let csv = ScopeHarness.csv(rows) + "H-x,\"never closed\r\n"
        #expect(
            throws: InputError.malformed(
                RecordLocation(source: "t.csv", line: 3_002),
                reason: "a quoted field that starts on this line is never closed")
        ) {
            _ = try bothWays(Array(csv.utf8))
        }
    }
}

/// A small deterministic generator (SplitMix64), so that the random test reads the same input on every run.
private struct SeededRandom {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        mixed ^= mixed >> 31
        return Int(mixed % UInt64(bound))
    }

    mutating func pick(_ values: [String]) -> String {
        values[next(values.count)]
    }
}
