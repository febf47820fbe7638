import PrimesModel
import Testing

@Suite("Normalising canonical records")
struct NormalizerTests {
    @Test("trims text, drops empty parts and puts codes in their list's case")
    func normalizes() {
        let person = Person(
            id: " TST-00001 ",
            identifiers: [Identifier(scheme: "bims", value: " B-1 "), Identifier(scheme: "bims", value: "B-1")],
            name: PersonName(given: " Testa ", middle: "  ", family: "Amani"),
            nationalities: [" ssd", "Stateless", "SSD"],
            countryOfOrigin: "ssd",
            languages: [LanguageSkill(code: "DIP ")],
            populationType: "ref",
            specificNeeds: ["sm-mi", "SM-MI"]
        )
        let normal = Normalizer.normalized(person)
        #expect(normal.id == "TST-00001")
        #expect(normal.identifiers == [Identifier(scheme: "bims", value: "B-1")])
        #expect(normal.name == PersonName(given: "Testa", family: "Amani"))
        #expect(normal.nationalities == ["SSD", "stateless"])
        #expect(normal.countryOfOrigin == "SSD")
        #expect(normal.languages.map(\.code) == ["dip"])
        #expect(normal.populationType == "REF")
        #expect(normal.specificNeeds == ["SM-MI"])
    }

    @Test("a normal record is left as it is")
    func idempotent() {
        let person = Person(id: "TST-00001", name: PersonName(given: "Testa"), nationalities: ["SSD"])
        #expect(Normalizer.normalized(person) == person)
        #expect(Normalizer.normalized(Normalizer.normalized(person)) == Normalizer.normalized(person))
    }
}
