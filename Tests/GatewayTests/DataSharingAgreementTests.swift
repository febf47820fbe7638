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

    static func transforming(_ folder: TemporaryDirectory) throws -> DataSharingAgreement {
        let path = try folder.write(
            "t.yaml",
            """
            agreement: pseudonymised-referral
            version: 2
            fields: [id, name.family, birthDate, "identifiers[scheme=unhcr.progres.individual].value"]
            transform:
              birthDate: year
              id: pseudonym
              "identifiers[scheme=unhcr.progres.individual].value": pseudonym
            """)
        return try DataSharingAgreement.load(path: path)
    }

    @Test func aDateGoesAsItsYearAndAnIdentifierAsAKeyedPseudonym() throws {
        let agreement = try Self.transforming(try TemporaryDirectory())
        #expect(agreement.needsPseudonymKey)
        let key = Array("a-pseudonym-key-of-at-least-32-characters".utf8)
        guard case .person(let person) = try agreement.apply(to: try Self.everyFieldPerson(), pseudonymKey: key)
        else {
            Issue.record("still a person")
            return
        }
        guard case .person(let original) = try Self.everyFieldPerson() else { return }
        #expect(person.birthDate?.precision == .year)
        #expect(person.birthDate?.isoText == String(try #require(original.birthDate?.isoText).prefix(4)))
        let pseudonym = try #require(person.id)
        #expect(pseudonym.hasPrefix("psn-") && pseudonym.count == 36)
        #expect(pseudonym != original.id)
        // The same value gives the same pseudonym under one key, and another under another key.
        #expect(person.identifiers.first?.value == pseudonym)
        guard case .person(let again) = try agreement.apply(to: try Self.everyFieldPerson(), pseudonymKey: key),
            case .person(let other) = try agreement.apply(
                to: try Self.everyFieldPerson(), pseudonymKey: Array("another-key-of-at-least-thirty-two-chars".utf8))
        else { return }
        #expect(again.id == pseudonym)
        #expect(other.id != pseudonym)
        #expect(person.name?.given == nil)
    }

    @Test func aPseudonymIsNeverMadeWithoutAKey() throws {
        let agreement = try Self.transforming(try TemporaryDirectory())
        let error = try #require(throws: AgreementError.self) { try agreement.apply(to: try Self.everyFieldPerson()) }
        #expect(error.description.contains("no pseudonymKey"))
        #expect(!error.description.contains("TST-"))
    }

    @Test func aTransformationMustBeKnownAndOfASharedField() throws {
        let folder = try TemporaryDirectory()
        let unknown = try folder.write("u.yaml", "agreement: x\nfields: [birthDate]\ntransform:\n  birthDate: blur\n")
        let first = try #require(throws: ConfigurationError.self) { try DataSharingAgreement.load(path: unknown) }
        #expect(first.key == "transform.birthDate")
        #expect(first.line == 4)
        let unshared = try folder.write(
            "n.yaml", "agreement: x\nfields: [id]\ntransform:\n  identifiers[scheme=a].value: pseudonym\n")
        let second = try #require(throws: ConfigurationError.self) { try DataSharingAgreement.load(path: unshared) }
        #expect(second.reason.contains("does not share"))
    }
}
