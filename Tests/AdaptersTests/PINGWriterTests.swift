import Adapters
import Foundation
import PrimesModel
import TestSupport
import Testing

@Suite("PING writer")
struct PINGWriterTests {
    /// A person with every field the PING mapping writes.
    static let fullPerson = Person(
        id: "KKM-00012345",
        ref: "person-1",
        identifiers: [Identifier(scheme: "unhcr.progres.individual", value: "KKM-00012345")],
        name: PersonName(given: "Amina", middle: "Nyandeng", family: "Testperson", commonlyUsed: "Mina"),
        sex: "female",
        birthDate: try? PartialDate(year: 1990, month: 4, day: 17),
        countryOfOrigin: "SSD",
        languages: [
            LanguageSkill(
                code: "dip", read: "125080002", write: "125080001", speak: "125080000", understand: "125080000")
        ],
        specificNeeds: ["CR-AF"],
        contacts: [Contact(kind: "phone", value: "+254700000001", primary: true)],
        location: Location(levels: [
            AdminLevel(level: 1, code: "bbbbbbbb-0000-0000-0000-000000000001", name: "Turkana"),
            AdminLevel(level: 6, name: "Block 7"),
        ]),
        group: GroupMembership(id: "KKM-24-000101")
    )

    @Test("canonical → PING ingestion → canonical keeps every mapped field")
    func roundTripKeepsMappedFields() throws {
        let (text, notes) = try PINGTesting.ingestionPayload([.person(Self.fullPerson)])
        #expect(notes.first?.notHeld == [])
        let items = try PINGTesting.items(MemoryInput(text, name: "payload"))
        #expect(PINGTesting.rejections(items).isEmpty)
        let back = try #require(PINGTesting.persons(items).first)

        var expected = Self.fullPerson
        expected.provenance = back.provenance
        expected.extensions = back.extensions
        #expect(back == expected)
        // A group record comes with the first member, as from a retrieval.
        #expect(PINGTesting.records(items).first?.record.recordType == .group)
    }

    @Test("the payload has PING's envelope, the mapping's field names and integer option sets")
    func payloadShape() throws {
        let (text, _) = try PINGTesting.ingestionPayload([.person(Self.fullPerson)])
        let payload = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(payload["ShippingProcessId"] as? String == "SHP-TEST")
        #expect(payload["InteropId"] as? String == "INT-TEST")
        let data = try #require(payload["Data"] as? [[String: Any]])
        let item = try #require(data.first)
        #expect(item["ExternalId"] as? String == "person-1")
        #expect((item["Attachments"] as? [Any])?.isEmpty == true)
        let fields = try #require(item["Fields"] as? [[String: Any]])
        let byName = Dictionary(uniqueKeysWithValues: fields.map { ($0["Name"] as? String ?? "", $0["Value"]) })
        #expect(byName["progres_sex"] as? Int == 125_080_000)
        #expect(byName["progres_dateofbirth"] as? String == "1990-04-17")
        #expect(byName["progres_id"] as? String == "KKM-00012345")
        let group = try #require(byName["progres_registrationgroupid"] as? [String: Any])
        #expect(group["Name"] as? String == "KKM-24-000101")
        #expect(group["LogicalName"] as? String == "progres_registrationgroup")
        let language = try #require(byName["progres_language.progres_languagecodeid"] as? [String: Any])
        #expect(language["Name"] as? String == "Dinka, Northeastern")
        let category = try #require(byName["progres_specificneed.progres_spncategory2"] as? [String: Any])
        #expect(category["Name"] as? String == "Child at risk")
    }

    @Test("a year-only birth date is reported as not held rather than padded to a day")
    func partialDateIsNotInvented() throws {
        var person = Self.fullPerson
        person.birthDate = try PartialDate(year: 1990)
        person.maritalStatus = "married"
        let (text, notes) = try PINGTesting.ingestionPayload([.person(person)])
        #expect(!text.contains("progres_dateofbirth"))
        #expect(notes.first?.notHeld == ["birthDate", "maritalStatus"])
    }

    @Test("a registration group record is reported, not written; an empty run is still a valid payload")
    func groupsAndEmptyRuns() throws {
        let (text, notes) = try PINGTesting.ingestionPayload([.group(RegistrationGroup(id: "KKM-24-000101"))])
        #expect(notes.first?.notHeld == ["registration group record"])
        let payload = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect((payload?["Data"] as? [Any])?.isEmpty == true)
    }

    @Test("a renamed PING field is a mapping change: an overlay renames it in the payload and reads it back")
    func overlayRenamesAField() throws {
        let folder = try TemporaryDirectory()
        let overlay = try folder.write(
            "ping-renamed.yaml",
            """
            mapping: progres-ping-renamed
            version: "3.1"
            formats: [progres-ping-json]
            extends: \(RepositoryPaths.mappings.appendingPathComponent("progres/ping-v3.yaml").path)
            fields:
              - canonical: name.family
                attribute: progres_lastname
                field: progres_lastname
            """)
        let mapping = try TestEnvironment.adapters.mappings.load(overlay)
        let (text, _) = try PINGTesting.ingestionPayload([.person(Self.fullPerson)], mapping: mapping)
        #expect(text.contains("\"progres_lastname\""))
        #expect(!text.contains("\"progres_familyname\""))
        let reader = try PINGTesting.reader(MemoryInput(text), mapping: mapping)
        var family: String?
        while let item = try reader.next() {
            if case .record(let record) = item, case .person(let person) = record.record {
                family = person.name?.family
            }
        }
        #expect(family == "Testperson")
    }
}
