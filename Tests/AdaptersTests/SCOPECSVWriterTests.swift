import Adapters
import Foundation
import PrimesModel
import TestSupport
import Testing

@Suite("SCOPE CSV writer")
struct SCOPECSVWriterTests {
    /// Canonical NDJSON for one household with `members`, as the canonical reader would give it.
    private func canonical(_ records: [CanonicalRecord]) throws -> [UInt8] {
        let sink = MemoryOutput()
        let writer = CanonicalWriter(sink: sink)
        for record in records { _ = try writer.write(record, from: RecordLocation(source: "t")) }
        try writer.finish()
        return sink.bytes
    }

    private func household(id: String = "H-1", size: Int? = 1, members: [String] = ["P-1"]) -> CanonicalRecord {
        .group(
            RegistrationGroup(
                id: id, name: "Household One", size: size,
                location: Location(levels: [AdminLevel(level: 2, code: "L-2")]),
                members: members.map { GroupMember(ref: $0) }))
    }

    private func member(
        _ ref: String = "P-1", household: String? = "H-1", family: String? = "Family", relationship: String = "self",
        sex: String? = "female", location: Location? = nil
    ) -> CanonicalRecord {
        .person(
            Person(
                ref: ref, name: PersonName(given: "Given", family: family), sex: sex, location: location,
                group: household.map {
                    GroupMembership(id: $0, relationshipToFocalPoint: relationship, focalPoint: relationship == "self")
                }))
    }

    @Test func roundTripReproducesTheFixtureByteForByte() throws {
        let original = try ScopeHarness.fixtureBytes()
        let toCanonical = try ScopeHarness.convert(original, from: "scope-csv", to: "canonical")
        #expect(toCanonical.report.rejectedCount == 0)
        let back = try ScopeHarness.convert(Array(toCanonical.output.utf8), from: "canonical", to: "scope-csv")
        #expect(back.report.rejectedCount == 0)
        #expect(back.output == String(decoding: original, as: UTF8.self))
    }

    @Test func aPersonWithoutWhatScopeRequiresIsRejectedWithTheReason() throws {
        let input = try canonical([
            household(size: 3, members: ["P-1", "P-2", "P-3"]),
            member("P-1", family: nil),
            member("P-2", relationship: "spouse"),
            member("P-3", household: nil, relationship: "child"),
        ])
        let (output, report) = try ScopeHarness.convert(input, from: "canonical", to: "scope-csv")
        #expect(
            report.rejected.map(\.description) == [
                "t:2: last_name: required; the person has no family name",
                "t:4: household_id: required; the person belongs to no registration group",
            ])
        #expect(output.split(separator: "\r\n").count == 2)
    }

    @Test func aPersonWithNoLocationAnywhereIsRejected() throws {
        let group = RegistrationGroup(id: "H-1", name: "Household One", size: 1, members: [GroupMember(ref: "P-1")])
        let input = try canonical([.group(group), member()])
        let (_, report) = try ScopeHarness.convert(input, from: "canonical", to: "scope-csv")
        #expect(
            report.rejected.map(\.description) == [
                "t:2: location: required; neither the person nor the household has a location code"
            ])

        // the person's own location fills in for a group without one
        let located = member(location: Location(levels: [AdminLevel(level: 2, code: "L-9")]))
        let (output, again) = try ScopeHarness.convert(
            try canonical([.group(group), located]), from: "canonical", to: "scope-csv")
        #expect(again.rejectedCount == 0)
        #expect(output.contains(",L-9,"))
    }

    @Test func membersWithoutTheirGroupRecordAreRejected() throws {
        let input = try canonical([member()])
        let (_, report) = try ScopeHarness.convert(input, from: "canonical", to: "scope-csv")
        #expect(
            report.rejected.map(\.description) == [
                "t:1: household_name: unknown; the person's group record must come before its members and was not there"
            ])
    }

    @Test func aHouseholdCannotBeReopenedLater() throws {
        let input = try canonical([
            household(), member(), household(id: "H-2", members: ["P-2"]), member("P-2", household: "H-2"),
            household(members: ["P-3"]), member("P-3"),
        ])
        let (_, report) = try ScopeHarness.convert(input, from: "canonical", to: "scope-csv")
        #expect(
            report.rejected.map(\.description) == [
                "t:5: household_id: the household was already written as household #1; its records must be contiguous",
                "t:6: household_id: its household was already written (as household #1) and cannot be reopened",
            ])
    }

    @Test func aChildOfUnknownSexCannotBeGivenASexSpecificRole() throws {
        let input = try canonical([
            household(size: 2, members: ["P-1", "P-2"]), member(), member("P-2", relationship: "child", sex: nil),
        ])
        let (_, report) = try ScopeHarness.convert(input, from: "canonical", to: "scope-csv")
        #expect(
            report.rejected.first?.issues.first?.description
                == "household_role: canonical code \"child\" needs the person's sex (female or male) to choose the SCOPE code"
        )
    }

    @Test func theReportListsCanonicalFieldsScopeCannotHold() throws {
        let bytes = Array(
            try Data(contentsOf: URL(fileURLWithPath: RepositoryPaths.fixture("canonical/family-of-five.ndjson"))))
        let (output, report) = try ScopeHarness.convert(bytes, from: "canonical", to: "scope-csv")
        #expect(report.rejectedCount == 0)
        #expect(report.recordsOut == 6)
        for field in ["languages", "maritalStatus", "populationType", "relationships", "countryOfOrigin"] {
            #expect(report.notHeldByTarget[field] != nil, "\(field) should be listed as not held")
        }
        #expect(output.split(separator: "\r\n").count == 6)
    }

    @Test func formulaLikeCellsAreNeutralisedAndReadBack() throws {
        let bytes = try ScopeHarness.fixtureBytes()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(",'=Household Deng,"))
        let groups = try ScopeHarness.read(bytes).compactMap { $0.record?.group }
        #expect(groups.contains { $0.name == "=Household Deng" })
    }
}
