import PrimesModel
import Testing

@Suite("Field paths")
struct FieldPathTests {
    let person: JSONValue = .object([
        "name": .object(["family": "Amani"]),
        "identifiers": .array([
            .object(["scheme": "unhcr.progres.individual", "value": "TST-000000101"]),
            .object(["scheme": "wfp.scope.member", "value": "SC-1"]),
        ]),
        "nationalities": .array(["SSD", "KEN"]),
    ])

    @Test("reads keys, indexes and matched list elements")
    func reads() throws {
        #expect(try FieldPath("name.family").value(in: person) == "Amani")
        #expect(try FieldPath("nationalities[1]").value(in: person) == "KEN")
        #expect(try FieldPath("identifiers[scheme=wfp.scope.member].value").value(in: person) == "SC-1")
        #expect(try FieldPath("identifiers[scheme=national.id].value").value(in: person) == nil)
        #expect(try FieldPath("name.given").value(in: person) == nil)
    }

    @Test("sets values, creating objects and matched elements on the way")
    func sets() throws {
        var value = person
        try FieldPath("identifiers[scheme=national.id].value").set("N-1", in: &value)
        try FieldPath("location.levels[0].code").set("KE01", in: &value)
        try FieldPath("name.given").set("Testa", in: &value)
        #expect(try FieldPath("identifiers[scheme=national.id].value").value(in: value) == "N-1")
        #expect(try FieldPath("identifiers[scheme=national.id].scheme").value(in: value) == "national.id")
        #expect(try FieldPath("location.levels[0].code").value(in: value) == "KE01")
        #expect(try FieldPath("name.family").value(in: value) == "Amani")
    }

    @Test("removes a field, a list element or matched elements")
    func removes() throws {
        var value = person
        try FieldPath("identifiers[scheme=wfp.scope.member]").remove(from: &value)
        try FieldPath("name.family").remove(from: &value)
        #expect(try FieldPath("identifiers[scheme=wfp.scope.member].value").value(in: value) == nil)
        #expect(try FieldPath("identifiers[0].value").value(in: value) == "TST-000000101")
        #expect(try FieldPath("name").value(in: value) == .object([:]))
    }

    @Test("rejects malformed paths", arguments: ["", "name..family", "list[", "list[x]", "a[=b]", "name.fa mily"])
    func malformed(text: String) {
        #expect(throws: FieldPathError.self) { try FieldPath(text) }
    }

    @Test("setting through a value of another type is an error")
    func typeMismatch() throws {
        var value = person
        #expect(throws: FieldPathError.self) { try FieldPath("name.family.first").set("x", in: &value) }
    }
}
