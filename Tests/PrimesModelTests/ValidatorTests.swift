import PrimesModel
import TestSupport
import Testing

@Suite("Validation against the canonical rules and code lists")
struct ValidatorTests {
    let validator = TestEnvironment.adapters.validator

    private func fields(_ issues: [FieldIssue]) -> Set<String> {
        Set(issues.map(\.field))
    }

    @Test("a complete, correct person has no issues")
    func validPerson() throws {
        let person = Person(
            id: "803-100016547",
            identifiers: [Identifier(scheme: "unhcr.progres.individual", value: "803-100016547")],
            name: PersonName(given: "Testa", family: "Amani", script: "Latn"),
            sex: "female",
            birthDate: try PartialDate(iso: "1984"),
            nationalities: ["SSD"],
            countryOfOrigin: "SSD",
            languages: [LanguageSkill(code: "dip", motherTongue: true)],
            maritalStatus: "married",
            populationType: "REF",
            specificNeeds: ["SM-MI"],
            contacts: [Contact(kind: "phone", value: "+254700000101")],
            location: Location(levels: [AdminLevel(level: 1, code: "KE01")]),
            group: GroupMembership(id: "803-23-1009229", relationshipToFocalPoint: "self", focalPoint: true),
            relationships: [Relationship(type: "child", ref: "803-100016548")],
            events: [CivilEvent(type: "birth", role: "subject", date: try PartialDate(iso: "1984"))]
        )
        #expect(validator.validate(.person(person)).isEmpty)
    }

    @Test("every problem of a record is reported at once, each with its field and code list")
    func everyProblemAtOnce() throws {
        let person = Person(
            id: "not an id",
            sex: "F",
            nationalities: ["XXX", "stateless"],
            languages: [LanguageSkill(code: "english")],
            maritalStatus: "complicated",
            populationType: "ZZZ",
            specificNeeds: ["ZZ-99"],
            contacts: [Contact(kind: "pigeon", value: "x")],
            relationships: [Relationship(type: "cousin-ish", ref: " ")]
        )
        let issues = validator.validate(.person(person))
        #expect(
            fields(issues).isSuperset(of: [
                "id", "sex", "nationalities[0]", "nationalities", "languages[0].code", "maritalStatus",
                "populationType", "specificNeeds[0]", "contacts[0].kind", "relationships[0].type",
                "relationships[0].ref",
            ])
        )
        let sexIssue = try #require(issues.first { $0.field == "sex" })
        #expect(sexIssue.rule.contains("code list sex"))
    }

    @Test("stateless and unknown are explicit nationality states, not countries")
    func nationalityStates() {
        #expect(validator.validate(.person(Person(id: "TST-00001", nationalities: ["stateless"]))).isEmpty)
        #expect(validator.validate(.person(Person(id: "TST-00001", nationalities: ["unknown"]))).isEmpty)
    }

    @Test(
        "proGres ids follow OFFICE-[YY-]SEQUENCE",
        arguments: [
            ("803-100016547", true), ("NUR-00142746", true), ("NUR-15-05387", true), ("803-23-1009229", true),
            ("nur-00142746", false), ("803_100016547", false), ("803-2-1009229", false), ("NUR-", false),
        ])
    func progresIds(id: String, valid: Bool) {
        let issues = validator.validate(.person(Person(id: id)))
        #expect(issues.isEmpty == valid)
    }

    @Test("a death before birth is caught, comparing only the parts both dates know")
    func deathBeforeBirth() throws {
        let before = Person(
            id: "TST-00001", birthDate: try PartialDate(iso: "1990-05"), deathDate: try PartialDate(iso: "1989"))
        let sameYear = Person(
            id: "TST-00001", birthDate: try PartialDate(iso: "1990-05"), deathDate: try PartialDate(iso: "1990"))
        #expect(fields(validator.validate(.person(before))).contains("deathDate"))
        #expect(validator.validate(.person(sameYear)).isEmpty)
    }

    @Test("a phone outside E.164 is a warning, not a rejection")
    func phoneWarning() {
        let issues = validator.validate(
            .person(Person(id: "TST-00001", contacts: [Contact(kind: "phone", value: "0700 000 101")])))
        #expect(issues.count == 1)
        #expect(issues.first?.severity == .warning)
    }

    @Test("groups: size at least 1, one focal point, members listed once, known codes")
    func groups() {
        let group = RegistrationGroup(
            id: "TST-26-000001",
            size: 0,
            residenceStatus: "nomad",
            members: [GroupMember(ref: "a", focalPoint: true), GroupMember(ref: "a", focalPoint: true)]
        )
        let found = fields(validator.validate(.group(group)))
        #expect(found.isSuperset(of: ["size", "residenceStatus", "members[1].ref", "members"]))
    }

    @Test("extension namespaces must be dotted lower-case names")
    func extensionNamespaces() {
        let good = Person(id: "TST-00001", extensions: ["unhcr.progres": ["x": .string("y")]])
        let bad = Person(id: "TST-00001", extensions: ["Progres": ["x": .string("y")]])
        #expect(validator.validate(.person(good)).isEmpty)
        #expect(fields(validator.validate(.person(bad))) == ["extensions.Progres"])
    }

    @Test("updatedAt must be an ISO 8601 date-time")
    func updatedAt() {
        #expect(validator.validate(.person(Person(id: "TST-00001", updatedAt: "2026-01-15T09:30:00Z"))).isEmpty)
        #expect(!validator.validate(.person(Person(id: "TST-00001", updatedAt: "yesterday"))).isEmpty)
    }
}
