import Adapters
import Foundation
import PrimesModel
import TestSupport
import Testing

/// Converts `text` from primero-json to canonical persons, with the run's report.
func readPrimero(_ text: String, mapping: String? = nil) throws -> (persons: [Person], report: ConversionReport) {
    let environment = TestEnvironment.adapters
    let context = environment.context(mappingOverride: mapping)
    let makeReader = try #require(PrimeroFormat.format.makeReader)
    let reader = try makeReader(MemoryInput(text, name: "cases.json"), context)
    let sink = MemoryOutput()
    var report = ConversionReport(from: "primero-json", to: "canonical")
    try Conversion(validator: environment.validator).run(
        reader: reader, writer: CanonicalWriter(sink: sink), report: &report)
    let persons = try String(decoding: sink.bytes, as: UTF8.self).split(separator: "\n").map { line in
        guard case .person(let person) = try JSONDecoder().decode(CanonicalRecord.self, from: Data(line.utf8)) else {
            throw RecordRejection(location: RecordLocation(source: "test"), field: "recordType", rule: "not a person")
        }
        return person
    }
    return (persons, report)
}

/// Writes `persons` as primero-json and returns each body's `data`, with the report.
func writePrimero(_ persons: [Person], mapping: String? = nil) throws -> (
    cases: [[String: JSONValue]], report: ConversionReport
) {
    let environment = TestEnvironment.adapters
    let context = environment.context(mappingOverride: mapping)
    let sink = MemoryOutput()
    let makeWriter = try #require(PrimeroFormat.format.makeWriter)
    let writer = try makeWriter(sink, context)
    let input = try persons.map {
        String(decoding: try JSONEncoder().encode(CanonicalRecord.person($0)), as: UTF8.self)
    }
    var report = ConversionReport(from: "canonical", to: "primero-json")
    try Conversion(validator: environment.validator).run(
        reader: CanonicalReader(source: MemoryInput(input.joined(separator: "\n"))), writer: writer, report: &report)
    let cases = try String(decoding: sink.bytes, as: UTF8.self).split(separator: "\n").map { line in
        let body = try JSONDecoder().decode([String: JSONValue].self, from: Data(line.utf8))
        guard case .object(let data)? = body["data"], body.count == 1 else { return [String: JSONValue]() }
        return data
    }
    return (cases, report)
}

@Suite("primero-json format")
struct PrimeroFormatTests {
    @Test("every key of the shared Primero samples is mapped, kept in extensions, or empty")
    func sharedSamplesLoseNothing() throws {
        let folder = try #require(
            RepositoryPaths.sharedStandards?.appendingPathComponent("primero"),
            "../shared/standards/primero is missing: the real Primero samples cannot be checked"
        )
        let mapping = try PrimeroMapping(TestEnvironment.adapters.mappings.load("primero/primero-v2-seed.yaml"))
        let mappedFields = Set(mapping.rules.map(\.field) + mapping.rules.compactMap(\.estimatedField))
        for name in ["progres_case_583069e.json", "progres_postToPrimeroCases_body.json", "demo_case_payload.json"] {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            let (persons, report) = try readPrimero(text)
            #expect(report.rejectedCount == 0, "\(name): \(report.rejected)")
            #expect(persons.count == 1)

            var document = try JSONDecoder().decode([String: JSONValue].self, from: Data(text.utf8))
            if case .object(let data)? = document["data"] { document = data }
            for (key, value) in document {
                let empty = value == .null || value == .array([]) || value == .string("")
                let kept = report.keptInExtensions["unicef.primero.\(key)"] != nil
                #expect(empty || kept || mappedFields.contains(key), "\(name): \(key) went nowhere")
            }
        }
    }

    @Test("the real case sample maps names, identifiers, dates and the location")
    func realCaseFields() throws {
        let folder = try #require(RepositoryPaths.sharedStandards?.appendingPathComponent("primero"))
        let text = try String(contentsOf: folder.appendingPathComponent("progres_case_583069e.json"), encoding: .utf8)
        let person = try #require(try readPrimero(text).persons.first)
        #expect(person.id == "DAD-0000002")
        #expect(person.identifier("unhcr.progres.group") == "DAD-RG00002")
        #expect(person.identifier("unicef.primero.case") == "757f3dd3-c4ca-4e18-be60-19054d848dfe")
        #expect(person.name?.given == "Taylor" && person.name?.commonlyUsed == "Tay Tay")
        #expect(person.sex == "female")
        #expect(person.birthDate == (try PartialDate(year: 2009, month: 5, day: 26)))
        #expect(person.location?.levels == [AdminLevel(level: 2, code: "KE007030")])
        #expect(person.updatedAt == "2021-05-26T15:54:21.741Z")
        #expect(person.extensions["unicef.primero"]?["protection_concerns"] == .array(["sexual_exploitation"]))
    }

    @Test("reading tolerates numbers as text, booleans as text, and a single id for a multi-select")
    func tolerantReading() throws {
        let text = """
            {"data": {"unhcr_individual_no": "TST-00000001", "age": "18", "estimated": "true",
              "date_of_birth": "2008-03-04", "national_id_no": 4455667788, "consent_for_services": "false",
              "nationality": "somalia", "maritial_status": "married_cohabitating", "displacement_status": "refugee",
              "unhcr_needs_codes": ["sc-uc", "cr_lw"], "protection_status": "separated"}}
            """
        let (persons, report) = try readPrimero(text)
        #expect(report.rejectedCount == 0, "\(report.rejected)")
        let person = try #require(persons.first)
        #expect(person.birthDate == (try PartialDate(year: 2008, month: 3, day: 4, estimated: true)))
        #expect(person.identifier("national.id") == "4455667788")
        #expect(person.nationalities == ["SOM"])
        #expect(person.maritalStatus == "married")
        #expect(person.populationType == "REF")
        #expect(Set(person.specificNeeds) == ["SC-UC", "CR-LW", "SC-SC"])
        #expect(person.extensions["unicef.primero"]?["age"] == .number(18))
        #expect(person.extensions["unicef.primero"]?["consent_for_services"] == .bool(false))
    }

    @Test("a list response with metadata gives one record per case, each located by its index")
    func listResponse() throws {
        let text = """
            {"data": [{"unhcr_individual_no": "TST-00000001", "sex": "female"}, {"unhcr_individual_no": "TST-00000002", "sex": "robot"}],
             "metadata": {"total": 2, "per": 20, "page": 1}}
            {"data": {"unhcr_individual_no": "TST-00000003"}}
            """
        let (persons, report) = try readPrimero(text)
        #expect(persons.map(\.id) == ["TST-00000001", "TST-00000003"])
        #expect(
            report.rejected.map(\.description) == [
                "cases.json#1: sex: \"robot\" has no mapping in code list primero.sex"
            ])
    }

    @Test("a truncated document is an unreadable input naming its line")
    func truncatedDocument() throws {
        #expect(
            throws: InputError.malformed(
                RecordLocation(source: "cases.json", line: 2), reason: "not valid JSON: the document is cut short")
        ) {
            try readPrimero("\n{\"data\": {\"sex\": \"male\"}")
        }
    }

    @Test("writing sends schema types, lookup ids, module_id, a derived case id and stable family rows")
    func strictWriting() throws {
        var person = Person(
            id: "TST-00000042",
            identifiers: [Identifier(scheme: "unhcr.progres.group", value: "TST-G-7")],
            name: PersonName(given: "Amina", family: "Testperson"),
            sex: "female",
            birthDate: try PartialDate(year: 2012, month: 6, day: 1, estimated: true),
            nationalities: ["SSD", "SDN"],
            maritalStatus: "single",
            populationType: "ASY",
            specificNeeds: ["SC-UC", "CR-LW"],
            contacts: [Contact(kind: "phone", value: "+254700000001")],
            location: Location(levels: [AdminLevel(level: 1, code: "KE007"), AdminLevel(level: 2, code: "KE007030")]),
            relationships: [Relationship(type: "mother", ref: "TST-00000041")]
        )
        person.extensions = ["unicef.primero": ["age": .string("14"), "consent_for_services": .string("true")]]
        let (cases, report) = try writePrimero([person, person])
        #expect(report.rejectedCount == 0, "\(report.rejected)")
        let data = try #require(cases.first)
        #expect(cases.count == 2 && cases[0] == cases[1])

        let mapping = try PrimeroMapping(TestEnvironment.adapters.mappings.load("primero/primero-v2-seed.yaml"))
        #expect(data["id"] == .string(mapping.caseId(forIndividual: "TST-00000042")))
        #expect(data["module_id"] == "primeromodule-cp")
        #expect(data["unhcr_individual_no"] == "TST-00000042" && data["unhcr_id_no"] == "TST-G-7")
        #expect(data["date_of_birth"] == "2012-06-01" && data["estimated"] == .bool(true))
        #expect(data["age"] == .number(14) && data["consent_for_services"] == .bool(true))
        #expect(data["nationality"] == .array(["south_sudan", "sudan"]))
        #expect(data["maritial_status"] == "single" && data["displacement_status"] == "asylum_seeker")
        #expect(data["unhcr_needs_codes"] == .array(["sc-uc", "cr-lw"]))
        #expect(data["protection_status"] == "unaccompanied")
        #expect(data["location_current"] == "KE007030" && data["telephone_current"] == "+254700000001")
        guard case .array(let rows)? = data["family_details_section"], case .object(let row)? = rows.first else {
            Issue.record("no family_details_section rows")
            return
        }
        #expect(row["relation"] == "mother")
        let uniqueId = try #require(row["unique_id"]?.scalarText)
        #expect(UUID(uuidString: uniqueId) != nil && uniqueId == uniqueId.lowercased())

        let allowed = Set(mapping.rules.map(\.field) + ["estimated", "module_id"])
        #expect(Set(data.keys).isSubset(of: allowed))
        #expect(report.notHeldByTarget.isEmpty, "\(report.notHeldByTarget)")
    }

    @Test("a birth date known only to the year is reported, never padded into a day")
    func partialBirthDate() throws {
        let person = Person(id: "TST-00000009", birthDate: try PartialDate(year: 1990, estimated: true))
        let (cases, report) = try writePrimero([person])
        #expect(cases.first?["date_of_birth"] == nil)
        #expect(report.notHeldByTarget["birthDate"] == 1)
    }

    @Test("a Primero field the mapping does not know is refused with the reason, before any server sees it")
    func unknownFieldRefused() throws {
        var person = Person(id: "TST-00000010", sex: "male")
        person.extensions = ["unicef.primero": ["favourite_colour_3fa9": "blue"]]
        let (cases, report) = try writePrimero([person])
        #expect(cases.isEmpty)
        #expect(
            report.rejected.first?.issues == [
                FieldIssue(
                    field: "extensions.unicef.primero.favourite_colour_3fa9",
                    rule: "not a field of mapping primero-v2-seed: Primero refuses unknown keys"
                )
            ])
    }

    @Test("an instance mapping overrides the seed's option ids without code changes")
    func instanceOverlay() throws {
        let folder = try TemporaryDirectory()
        _ = try folder.write(
            "sex.yaml",
            """
            codeList: primero.sex.instance
            version: "1"
            canonical: sex
            entries:
              - {code: male, canonical: male}
              - {code: female, canonical: female}
              - {code: other_b25f252, canonical: other}
              - {code: unknown_4b34795, canonical: unknown}
            """
        )
        let instance = try folder.write(
            "instance.yaml",
            """
            mapping: primero-instance-test
            formats: [primero-json]
            extends: \(RepositoryPaths.mappings.path)/primero/primero-v2-seed.yaml
            codeLists:
              sex: sex.yaml
            settings:
              module: primeromodule-gbv
            """
        )
        let (persons, report) = try readPrimero(
            #"{"unhcr_individual_no": "TST-00000011", "sex": "other_b25f252"}"#, mapping: instance)
        #expect(report.rejectedCount == 0)
        #expect(persons.first?.sex == "other")

        let (cases, _) = try writePrimero([Person(id: "TST-00000012", sex: "unknown")], mapping: instance)
        #expect(cases.first?["sex"] == "unknown_4b34795")
        #expect(cases.first?["module_id"] == "primeromodule-gbv")

        let (_, seedReport) = try writePrimero([Person(id: "TST-00000012", sex: "unknown")])
        #expect(
            seedReport.rejected.first?.issues.first?.rule
                == "canonical code \"unknown\" has no mapping in code list primero.sex")
    }

    @Test("a case read from Primero and written back keeps its family rows and their ids")
    func familyRoundTrip() throws {
        let text = """
            {"unhcr_individual_no": "TST-00000020", "family_details_section": [
              {"unique_id": "0b6f4a36-2c5e-4e0f-9d3a-000000000001", "relation": "sister", "relation_age": "9",
               "relation_is_caregiver": "false"}]}
            """
        let person = try #require(try readPrimero(text).persons.first)
        #expect(person.relationships == [Relationship(type: "sibling", ref: "0b6f4a36-2c5e-4e0f-9d3a-000000000001")])
        let (cases, report) = try writePrimero([person])
        #expect(report.rejectedCount == 0, "\(report.rejected)")
        #expect(
            cases.first?["family_details_section"]
                == .array([
                    .object([
                        "unique_id": "0b6f4a36-2c5e-4e0f-9d3a-000000000001", "relation": "other_family",
                        "relation_age": 9,
                        "relation_is_caregiver": false,
                    ])
                ]))
    }
}

@Suite("name-based UUIDs")
struct NameBasedUUIDTests {
    @Test("version 5 UUIDs match RFC 9562's construction")
    func knownVectors() throws {
        // The DNS namespace of RFC 9562 and a name whose UUIDv5 other implementations agree on.
        let dns = try #require(UUID(uuidString: "6ba7b810-9dad-11d1-80b4-00c04fd430c8"))
        #expect(NameBasedUUID.version5(namespace: dns, name: "python.org") == "886313e1-3b8a-5372-9b90-0c9aee199e5d")
        #expect(NameBasedUUID.version5(namespace: dns, name: "") == "4ebd0208-8328-5d69-8c44-ec50939c0967")
    }
}
