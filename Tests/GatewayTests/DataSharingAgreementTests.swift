import Adapters
import Foundation
import Gateway
import PrimesModel
import TestSupport
import Testing

@Suite struct DataSharingAgreementTests {
    static func everyFieldPerson() throws -> CanonicalRecord {
        let line = try String(
            contentsOfFile: RepositoryPaths.fixture("gateway/every-field-person.ndjson"), encoding: .utf8)
        return try JSONDecoder().decode(CanonicalRecord.self, from: Data(line.utf8))
    }

    @Test func theFixtureHasEveryCanonicalPersonField() throws {
        guard case .object(let object) = try JSONValue(encoding: try Self.everyFieldPerson()) else {
            Issue.record("a person encodes as an object")
            return
        }
        let expected = [
            "recordType", "id", "ref", "identifiers", "name", "otherNames", "sex", "birthDate", "deathDate",
            "birthPlace", "nationalities", "countryOfOrigin", "languages", "maritalStatus", "populationType",
            "specificNeeds", "contacts", "location", "registrationDate", "arrivalDate", "group", "relationships",
            "events", "consent", "provenance", "extensions", "updatedAt", "version",
        ]
        #expect(Set(object.keys) == Set(expected))
    }

    @Test func keepsOnlyTheAgreedFields() throws {
        let agreement = try DataSharingAgreement.load(
            path: RepositoryPaths.mappings.appendingPathComponent("agreements/sample-case-referral.yaml").path)
        let kept = try agreement.apply(to: try Self.everyFieldPerson())
        guard case .person(let person) = kept else {
            Issue.record("still a person")
            return
        }
        #expect(person.id == "TST-000000901")
        #expect(person.identifiers == [Identifier(scheme: "unhcr.progres.individual", value: "TST-000000901")])
        #expect(person.name?.given == "Omnia")
        #expect(person.name?.family == "Campus")
        #expect(person.name?.middle == nil)
        #expect(person.name?.aliases == [])
        #expect(person.birthDate != nil)
        #expect(person.contacts.isEmpty)
        #expect(person.location == nil)
        #expect(person.events.isEmpty)
        #expect(person.extensions.isEmpty)
        #expect(person.provenance == nil)
        #expect(person.ref == nil)
    }

    @Test func refusesAMalformedFieldPathWithItsLine() throws {
        let folder = try TemporaryDirectory()
        let path = try folder.write("a.yaml", "agreement: x\nfields:\n  - name.family\n  - identifiers[scheme=\n")
        let error = try #require(throws: ConfigurationError.self) { try DataSharingAgreement.load(path: path) }
        #expect(error.line == 4)
        #expect(error.key == "fields[1]")
    }
}
