import Adapters
import Foundation
import PrimesModel
import TestSupport
import Testing

@Suite("SCOPE CSV reader")
struct SCOPECSVReaderTests {
    @Test func eachHouseholdIsAGroupRecordFollowedByItsMembers() throws {
        let items = try ScopeHarness.read(try ScopeHarness.fixtureBytes())
        let kinds = items.compactMap { $0.record?.recordType }
        #expect(items.allSatisfy { $0.rejection == nil })
        #expect(
            kinds == [
                .group, .person, .person, .person, .person, .group, .person, .person, .group, .person, .person,
                .person, .group, .person,
            ])

        let amani = try #require(items[0].record?.group)
        #expect(amani.id == "KAK-23-000101")
        #expect(amani.size == 4)
        #expect(amani.residenceStatus == "refugee")
        #expect(amani.vulnerabilityRating == "vulnerable")
        #expect(amani.arrivalDate?.isoText == "2023-02-14")
        #expect(amani.location?.levels == [AdminLevel(level: 2, code: "KE-TUR-01")])
        #expect(amani.location?.address == "Block 4, \"Green\" gate")
        #expect(amani.members.map(\.ref) == ["KAK-000101001", "KAK-000101002", "KAK-000101003", "KAK-000101004"])
        #expect(items[0].source?.location.line == 2)
    }

    @Test func theThreeRolesStayDistinct() throws {
        let items = try ScopeHarness.read(try ScopeHarness.fixtureBytes())
        let people = items.compactMap { $0.record?.person }
        func membership(_ ref: String) -> GroupMembership? { people.first { $0.ref == ref }?.group }

        // Amani: the head is the principal recipient, the spouse the alternate
        #expect(
            membership("KAK-000101001")
                == GroupMembership(
                    id: "KAK-23-000101", relationshipToFocalPoint: "self", focalPoint: true, principalRecipient: true))
        #expect(
            membership("KAK-000101002")
                == GroupMembership(
                    id: "KAK-23-000101", relationshipToFocalPoint: "spouse", alternateRecipient: true))
        // Lokol: the head receives nothing; a neighbour who is not family is the principal recipient
        #expect(
            membership("KAK-000102001")
                == GroupMembership(
                    id: "KAK-23-000102", relationshipToFocalPoint: "self", focalPoint: true))
        #expect(
            membership("KAK-000102002")
                == GroupMembership(
                    id: "KAK-23-000102", relationshipToFocalPoint: "not-family", principalRecipient: true))

        let groups = items.compactMap { $0.record?.group }
        let lokol = try #require(groups.first { $0.id == "KAK-23-000102" })
        #expect(lokol.members.filter(\.focalPoint).map(\.ref) == ["KAK-000102001"])
        #expect(lokol.members.filter(\.principalRecipient).map(\.ref) == ["KAK-000102002"])
    }

    @Test func memberFieldsMapToTheCanonicalModel() throws {
        let people = try ScopeHarness.read(try ScopeHarness.fixtureBytes()).compactMap { $0.record?.person }
        let head = try #require(people.first)
        #expect(
            head.identifiers == [
                Identifier(scheme: "unhcr.progres.individual", value: "KAK-000101001"),
                Identifier(scheme: "wfp.scope.member", value: "SC-9000001"),
            ])
        #expect(head.name == PersonName(given: "Neema", family: "Amani"))
        #expect(head.sex == "female")
        #expect(head.birthDate == (try PartialDate(year: 1988, month: 5, day: 2)))
        #expect(head.nationalities == ["SSD"])
        #expect(head.contacts == [Contact(kind: "phone", value: "+254700000101")])
        #expect(head.provenance?.format == "scope-csv")
        #expect(head.provenance?.system == "wfp.scope")

        let spouse = people[1]
        #expect(spouse.birthDate == (try PartialDate(year: 1985, estimated: true)))
        #expect(spouse.identifiers.count == 1)
    }

    @Test func aSexSpecificRoleTheSexCannotRestoreIsKeptInExtensions() throws {
        let items = try ScopeHarness.read(try ScopeHarness.fixtureBytes())
        let sources = items.compactMap(\.source)
        let child = try #require(sources.first { $0.record.person?.ref == "KAK-000103002" })
        let person = try #require(child.record.person)
        #expect(person.group?.relationshipToFocalPoint == "child")
        #expect(person.sex == "unknown")
        #expect(person.extensions["wfp.scope"]?["household_role"] == .string("SON"))
        #expect(child.keptInExtensions == ["extensions.wfp.scope.household_role"])

        // a son whose sex column says M needs no extension
        let people = items.compactMap { $0.record?.person }
        let son = try #require(people.first { $0.ref == "KAK-000101003" })
        #expect(son.extensions.isEmpty)
    }

    @Test func anUnmappedColumnIsKeptInExtensions() throws {
        let text = ScopeHarness.header + ",camp_zone\r\n" + ScopeHarness.row(size: "1", member: "M-1") + ",Z9\r\n"
        let items = try ScopeHarness.read(text)
        let people = items.compactMap { $0.record?.person }
        let person = try #require(people.first)
        #expect(person.extensions["wfp.scope"]?["camp_zone"] == .string("Z9"))
    }

    @Test func householdColumnsMustAgreeOnEveryRow() throws {
        let text = ScopeHarness.csv([
            ScopeHarness.row(member: "M-1"),
            ScopeHarness.row(name: "Another Name", member: "M-2", role: "SPOUSE"),
        ])
        let items = try ScopeHarness.read(text)
        let rejection = try #require(items.compactMap(\.rejection).first)
        #expect(rejection.description == "t.csv:3: household_name: differs from line 2 of the same household")
        let group = try #require(items.first?.record?.group)
        #expect(group.members.map(\.ref) == ["M-1"])
    }

    @Test func aHouseholdNeedsExactlyOneHead() throws {
        let none = try ScopeHarness.read(
            ScopeHarness.csv([
                ScopeHarness.row(member: "M-1", role: "SPOUSE"), ScopeHarness.row(member: "M-2", role: "SON", sex: "M"),
            ]))
        #expect(none.allSatisfy { $0.record == nil })
        #expect(
            none.first?.rejection?.description == "t.csv:2: household_role: a household needs exactly one HEAD, found 0"
        )
        #expect(none.last?.rejection?.description == "t.csv:3: household_id: its household, from line 2, is rejected")

        let two = try ScopeHarness.read(
            ScopeHarness.csv([
                ScopeHarness.row(member: "M-1"), ScopeHarness.row(member: "M-2"),
            ]))
        #expect(two.first?.rejection?.issues.first?.rule == "a household needs exactly one HEAD, found 2")
        #expect(two.count == 3)
    }

    @Test func aHouseholdSizeThatDiffersIsAWarning() throws {
        let items = try ScopeHarness.read(ScopeHarness.csv([ScopeHarness.row(size: "3", member: "M-1")]))
        let group = try #require(items.first?.source)
        #expect(
            group.warnings == [
                FieldIssue(
                    field: "household_size", rule: "says 3 but the household has 1 member rows", severity: .warning)
            ])
        #expect(items.count == 2)
        #expect(items.allSatisfy { $0.rejection == nil })
    }

    @Test func aHouseholdThatAppearsAgainLaterIsAnErrorNamingBothLines() throws {
        let text = ScopeHarness.csv([
            ScopeHarness.row(size: "1", member: "M-1"),
            ScopeHarness.row(household: "H-2", size: "1", member: "M-2"),
            ScopeHarness.row(size: "1", member: "M-3"),
        ])
        let items = try ScopeHarness.read(text)
        #expect(items.compactMap { $0.record?.group?.id } == ["H-1", "H-2"])
        #expect(
            items.last?.rejection?.description
                == "t.csv:4: household_id: the household already appeared from line 2; a household's rows must be contiguous"
        )
    }

    @Test func aRowWithTheWrongNumberOfFieldsIsRejectedNamingItsLine() throws {
        let text = ScopeHarness.csv([ScopeHarness.row(size: "1", member: "M-1"), "H-2,short,row"])
        let items = try ScopeHarness.read(text)
        #expect(items.last?.rejection?.description == "t.csv:3: row: has 3 fields; the header has 20")
        #expect(items.compactMap(\.record).count == 2)
    }

    @Test func invalidUTF8IsRejectedNamingLineAndColumn() throws {
        let good = ScopeHarness.row(size: "1", member: "M-1")
        var bytes = Array(ScopeHarness.csv([good]).utf8)
        bytes += Array("H-2,Name,1,,,,,LOC,,M-2,,".utf8) + [0xFF, 0xFE] + Array(",Given,HEAD,F,,,,,\r\n".utf8)
        let items = try ScopeHarness.read(bytes)
        #expect(items.last?.rejection?.description == "t.csv:3: last_name: not valid UTF-8")
    }

    @Test func anUnterminatedQuoteStopsTheInput() throws {
        let text = ScopeHarness.csv([ScopeHarness.row(size: "1", member: "M-1")]) + "H-2,\"never closed,1\r\n"
        let error = #expect(throws: InputError.self) { try ScopeHarness.read(text) }
        #expect(error?.description == "t.csv:3: a quoted field that starts on this line is never closed")
    }

    @Test func aHeaderWithoutARequiredColumnStopsTheInput() throws {
        let text = "household_id,household_name\r\nH-1,Name\r\n"
        let error = #expect(throws: InputError.self) { try ScopeHarness.read(text) }
        #expect(error?.description.hasPrefix("t.csv:1: header lacks the required column(s) household_size,") == true)
    }

    @Test func unknownCodesAndBadValuesNameTheColumnAndTheList() throws {
        let row = "H-1,Name,0,CAMP,VULNERABLE,2024-13-01,,LOC,,M-1,,,Given,HEAD,X,1990,maybe,SSD,,PRINCIPAL"
        let items = try ScopeHarness.read(ScopeHarness.csv([row]))
        let household = try #require(items.first?.rejection)
        #expect(
            household.issues.map(\.description) == [
                "household_size: must be a whole number of at least 1",
                "residence_status: \"CAMP\" has no mapping in code list scope.residence-status",
                "arrival_date: month must be between 1 and 12",
            ])
        let member = try #require(items.last?.rejection)
        #expect(
            member.issues.map(\.description) == [
                "household_id: its household, from line 2, is rejected",
                "sex: \"X\" has no mapping in code list scope.sex",
                "date_of_birth_estimated: must be Y or N",
                "last_name: required field is empty",
            ])
    }

    @Test func aHouseholdLargerThanTheLimitStopsTheInput() throws {
        let folder = try TemporaryDirectory()
        let mapping = try folder.write(
            "small.yaml",
            """
            mapping: small-households
            formats: [scope-csv]
            extends: \(RepositoryPaths.mappings.appendingPathComponent("scope/scope-exchange-v1.yaml").path)
            settings: {maximumHouseholdRows: "2"}

            """)
        let rows = (1...3).map { ScopeHarness.row(size: "3", member: "M-\($0)", role: $0 == 1 ? "HEAD" : "SPOUSE") }
        let error = #expect(throws: InputError.self) { try ScopeHarness.read(ScopeHarness.csv(rows), mapping: mapping) }
        #expect(error?.description == "t.csv:4: a household has more than 2 member rows (setting maximumHouseholdRows)")
    }
}
