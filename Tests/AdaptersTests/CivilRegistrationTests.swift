import Adapters
import Foundation
import PrimesModel
import TestSupport
import Testing

/// The civil-registration XML adapter, driven by its dialect mapping files, in both directions.
@Suite struct CivilRegistrationTests {
    static let fhirSchema: XMLSchemaValidator? = RepositoryPaths.sharedStandards.flatMap {
        try? XMLSchemaValidator(schemaPath: $0.appendingPathComponent("fhir-r4/xsd/fhir-single.xsd").path)
    }

    private func items(_ format: String, _ bytes: [UInt8], name: String = "input.xml", mapping: String? = nil)
        throws -> [ReadItem]
    {
        let context = TestEnvironment.adapters.context(mappingOverride: mapping)
        let makeReader = try #require(TestEnvironment.adapters.registry.format(named: format)?.makeReader)
        let reader = try makeReader(MemoryInput(bytes, name: name), context)
        var items: [ReadItem] = []
        while let item = try reader.next() { items.append(item) }
        return items
    }

    private func persons(_ items: [ReadItem]) -> [Person] {
        items.compactMap {
            if case .record(let source) = $0, case .person(let person) = source.record { return person }
            return nil
        }
    }

    private func write(_ format: String, _ persons: [Person], mapping: String? = nil) throws -> (String, Int) {
        let output = MemoryOutput()
        let context = TestEnvironment.adapters.context(mappingOverride: mapping)
        let makeWriter = try #require(TestEnvironment.adapters.registry.format(named: format)?.makeWriter)
        let writer = try makeWriter(output, context)
        var rejected = 0
        for (index, person) in persons.enumerated() {
            do {
                _ = try writer.write(.person(person), from: RecordLocation(source: "test", index: index))
            } catch is RecordRejection {
                rejected += 1
            }
        }
        try writer.finish()
        return (output.text, rejected)
    }

    private func fixturePersons() throws -> [Person] {
        let text = try String(
            contentsOfFile: RepositoryPaths.fixture("civil-registration/birth-family.ndjson"), encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Person.self, from: Data($0.utf8)) }
    }

    @Test func everyNationalityGoesToFHIRAndComesBack() throws {
        var people = try fixturePersons()
        people[0].nationalities = ["KEN", "SSD", "UGA"]
        let (xml, rejected) = try write("fhir-r4-xml", people)
        #expect(rejected == 0)
        #expect(xml.components(separatedBy: "patient-nationality").count - 1 == 3)
        if let schema = Self.fhirSchema {
            #expect(schema.validate(Array(xml.utf8)) == [])
        }
        let back = persons(try items("fhir-r4-xml", Array(xml.utf8)))
        #expect(back.first?.nationalities == ["KEN", "SSD", "UGA"])
    }

    @Test func fhirRoundTripKeepsEveryMappedFieldAndValidates() throws {
        let original = try fixturePersons()
        let (xml, rejected) = try write("fhir-r4-xml", original)
        #expect(rejected == 0)
        if let schema = Self.fhirSchema {
            #expect(schema.validate(Array(xml.utf8)) == [])
        } else {
            Issue.record("../shared/standards is missing: the FHIR schema check did not run")
        }
        let back = persons(try items("fhir-r4-xml", Array(xml.utf8)))
        #expect(back.count == original.count)
        for (before, after) in zip(original, back) {
            #expect(after.ref == before.ref)
            #expect(after.name == before.name)
            #expect(after.sex == before.sex)
            #expect(after.birthDate == before.birthDate)
            #expect(after.deathDate == before.deathDate)
            #expect(after.birthPlace == before.birthPlace)
            #expect(after.nationalities == before.nationalities)
            #expect(after.identifiers == before.identifiers)
            #expect(Set(after.relationships) == Set(before.relationships))
            if let event = before.events.first {
                #expect(after.events.first?.type == event.type)
                #expect(after.events.first?.registration == event.registration)
                #expect(after.events.first?.date == event.date)
            }
        }
        // A birth also gives the mother and father their part in the event.
        #expect(back[1].events.first?.role == "mother")
        #expect(back[2].events.first?.role == "father")
    }

    @Test func sharedFHIRSamplesReadWithDriftWarnings() throws {
        let folder = try #require(RepositoryPaths.sharedStandards, "../shared/standards is missing")
        let mother = try Array(
            Data(contentsOf: folder.appendingPathComponent("fhir-r4/fhir_relatedperson-example-newborn-mom.xml")))
        let read = try items("fhir-r4-xml", mother)
        guard case .record(let source) = try #require(read.first) else {
            Issue.record("the mother sample was rejected")
            return
        }
        #expect(source.warnings.contains { $0.rule.contains("legacy URI") })
        guard case .person(let person) = source.record else { return }
        #expect(person.sex == "female")
        #expect(person.birthDate?.isoText == "1973-05-31")
        #expect(person.identifiers.first?.scheme == "national.social-security-number")
        // Values no rule reads are kept, not dropped.
        #expect(person.extensions["hl7.fhir-r4"]?["telecom/value/@value"] != nil)
        #expect(source.keptInExtensions.contains("hl7.fhir-r4.address/line/@value"))

        let newborn = try Array(
            Data(contentsOf: folder.appendingPathComponent("fhir-r4/fhir_patient-example-newborn.xml")))
        let child = persons(try items("fhir-r4-xml", newborn))
        #expect(child.first?.ref == "newborn")
        #expect(child.first?.extensions["hl7.fhir-r4"]?["multipleBirthInteger/@value"] == .string("2"))
    }

    @Test func de4aGeneratedExamplesReadBack() throws {
        let folder = try #require(RepositoryPaths.sharedStandards, "../shared/standards is missing")
        for file in [
            "de4a_birth-evidence-1.7-generated-example.xml", "de4a_birth-evidence-1.7-generated-example-minimal.xml",
        ] {
            let bytes = try Array(Data(contentsOf: folder.appendingPathComponent("de4a/\(file)")))
            let read = persons(try items("de4a-birth-xml", bytes, name: file))
            #expect(read.count == 2, "\(file)")
            #expect(read.first?.birthDate?.isoText == "2001-12-17")
            #expect(read.first?.events.first?.type == "birth")
            #expect(read.first?.events.first?.registration?.date?.isoText == "1957-08-13")
            #expect(read.last?.relationships.first?.type == "child")
        }
    }

    @Test func de4aOutputFollowsTheSchemaStructure() throws {
        let folder = try #require(RepositoryPaths.sharedStandards, "../shared/standards is missing")
        let family = Array(try fixturePersons().prefix(3))
        let (xml, rejected) = try write("de4a-birth-xml", family)
        #expect(rejected == 0)

        let schema = try XMLElementStream(
            source: FileInput(path: folder.appendingPathComponent("de4a/de4a_birthEvidence-1.7.xsd").path))
        _ = try schema.root()
        let schemaDocument = try XMLRecordDocument(namespaces: [("xsd", "http://www.w3.org/2001/XMLSchema")])
        try schemaDocument.append(copyOf: try schema.expandRoot().node)
        let output = try XMLElementStream(source: MemoryInput(xml, name: "out.xml"))
        _ = try output.root()
        let outputDocument = try XMLRecordDocument(namespaces: [
            ("n3", "urn:eu-de4a:xsd:CanonicalEvidenceType::BirthEvidence:v1.7")
        ])
        try outputDocument.append(copyOf: try output.expandRoot().node)

        // For each type, the output's children appear in the schema's order and hold every required element.
        let checks = [
            ("BirthEvidenceType", "n3:BirthEvidence"), ("BirthType", "n3:BirthEvidence/n3:CertifiesBirth"),
            ("ChildType", "n3:BirthEvidence/n3:CertifiesBirth/n3:Child"),
            ("DateObjectType", "n3:BirthEvidence/n3:CertifiesBirth/n3:Child/n3:DateOfBirth"),
        ]
        for (type, path) in checks {
            let declared = schemaDocument.nodes(
                try XPathExpression("xsd:schema/xsd:complexType[@name='\(type)']//xsd:element"),
                from: schemaDocument.root)
            let nameAttribute = try XPathExpression("@name")
            let minimumAttribute = try XPathExpression("@minOccurs")
            var names: [(String, Bool)] = []
            for node in declared {
                guard let name = schemaDocument.nodes(nameAttribute, from: node).first.map(xmlNodeText) else {
                    continue
                }
                let minimum = schemaDocument.nodes(minimumAttribute, from: node).first.map(xmlNodeText)
                names.append((name, minimum != "0"))
            }
            let element = try #require(outputDocument.nodes(try XPathExpression(path), from: outputDocument.root).first)
            let written = outputDocument.nodes(try XPathExpression("*"), from: element).map(xmlNodeLocalName)
            let order = names.map(\.0)
            let positions = written.compactMap { order.firstIndex(of: $0) }
            #expect(positions == positions.sorted(), "\(type): elements out of the schema's order")
            for (name, required) in names where required {
                #expect(written.contains(name), "\(type) needs \(name)")
            }
        }
        let back = persons(try items("de4a-birth-xml", Array(xml.utf8)))
        #expect(back.map(\.sex) == ["female", "female", "male"])
        #expect(back.first?.birthDate == family.first?.birthDate)
    }

    @Test func aReferenceFHIRCannotHoldIsRejectedNotWrittenInvalid() throws {
        let person = Person(ref: "case/42 bad", name: PersonName(family: "Testname"))
        let (xml, rejected) = try write("fhir-r4-xml", [person])
        #expect(rejected == 1)
        #expect(!xml.contains("case/42"))
        if let schema = Self.fhirSchema { #expect(schema.validate(Array(xml.utf8)) == []) }
    }

    @Test func unmappedCodeRejectsTheRecordWithItsXPath() throws {
        let xml = """
            <Bundle xmlns="http://hl7.org/fhir"><type value="collection"/>
            <entry><resource><Patient><id value="p1"/><gender value="shemale"/></Patient></resource></entry>
            </Bundle>
            """
        let read = try items("fhir-r4-xml", Array(xml.utf8), name: "bad.xml")
        guard case .rejected(let rejection) = try #require(read.first) else {
            Issue.record("an unmapped gender was accepted")
            return
        }
        #expect(rejection.description.contains("bad.xml:2"))
        #expect(rejection.description.contains("f:gender/@value"))
        #expect(rejection.description.contains("fhir.administrative-gender"))
    }

    @Test func emptyElementIsReadAsAbsentWithAWarning() throws {
        let xml = """
            <n3:BirthEvidence xmlns:n3="urn:eu-de4a:xsd:CanonicalEvidenceType::BirthEvidence:v1.7">
            <n3:IssueDate>2020-01-02</n3:IssueDate><n3:CertifiesBirth><n3:Child><n3:PersonName><n3:FamilyName>Testname</n3:FamilyName></n3:PersonName>
            <n3:DateOfBirth><n3:Year>2019</n3:Year></n3:DateOfBirth><n3:Gender></n3:Gender></n3:Child></n3:CertifiesBirth>
            </n3:BirthEvidence>
            """
        let read = try items("de4a-birth-xml", Array(xml.utf8))
        guard case .record(let source) = try #require(read.first), case .person(let child) = source.record else {
            Issue.record("the drifting document was rejected")
            return
        }
        #expect(child.sex == nil)
        #expect(child.birthDate?.precision == .year)
        #expect(source.warnings.contains { $0.field == "sex" && $0.rule.contains("empty element") })
    }

    @Test func aNationalDialectNeedsOnlyAMappingFile() throws {
        let directory = try TemporaryDirectory()
        try """
        codeList: national.sex
        version: "1"
        canonical: sex
        entries:
          - {code: "1", canonical: male}
          - {code: "2", canonical: female}
          - {code: "9", canonical: unknown}
        """.write(to: directory.url.appendingPathComponent("sex-129.yaml"), atomically: true, encoding: .utf8)
        let mapping = directory.url.appendingPathComponent("national-births.yaml")
        try """
        mapping: national-births
        version: "3"
        formats: [civil-xml]
        codeLists: {sex: sex-129.yaml}
        settings:
          namespaces: {r: "urn:example:national-birth-register:3"}
          extensionNamespace: national.births
          envelope: {element: r:Register, record: r:Birth}
          event: birth
          persons:
            - {role: subject, select: "r:Birth/r:Infant", write: "+r:Birth/r:Infant"}
            - role: relative
              select: "r:Birth/r:Mother"
              write: "+r:Birth/r:Mother"
              relationship: {bySex: {}, otherwise: mother}
        fields:
          - {canonical: event.registration.number, in: subject, xpath: "../@entryNo"}
          - {canonical: name.family, in: [subject, relative], xpath: r:Surname}
          - {canonical: name.given, in: [subject, relative], xpath: r:Forenames}
          - {canonical: sex, in: subject, xpath: r:Sex, codeList: sex}
          - {canonical: birthDate, in: [subject, relative], xpath: r:Born, parser: zero-filled, unknown: ["00000000"]}
        """.write(to: mapping, atomically: true, encoding: .utf8)
        let xml = """
            <Register xmlns="urn:example:national-birth-register:3">
              <Birth entryNo="NB-1"><Infant><Surname>Testkind</Surname><Forenames>Ada</Forenames><Sex>2</Sex>
                <Born>20240300</Born></Infant><Mother><Surname>Testmutter</Surname><Born>19750000</Born></Mother></Birth>
              <Birth entryNo="NB-2"><Infant><Surname>Testkind</Surname><Sex>9</Sex><Born>00000000</Born></Infant></Birth>
            </Register>
            """
        let read = persons(try items("civil-xml", Array(xml.utf8), mapping: mapping.path))
        #expect(read.count == 3)
        #expect(read[0].sex == "female")
        #expect(read[0].birthDate?.isoText == "2024-03")
        #expect(read[0].events.first?.registration?.number == "NB-1")
        #expect(read[0].events.first?.type == "birth")
        #expect(read[1].birthDate?.isoText == "1975")
        #expect(read[1].relationships == [Relationship(type: "child", ref: try #require(read[0].ref))])
        #expect(read[2].birthDate == nil)
        #expect(read[2].sex == "unknown")

        // And back: the same dialect writes its own zero-filled dates and 1/2/9 codes.
        let (written, rejected) = try write("civil-xml", read, mapping: mapping.path)
        #expect(rejected == 0)
        #expect(written.contains("<r:Born>20240300</r:Born>"))
        #expect(written.contains("<r:Sex>9</r:Sex>"))
    }
}
