import Adapters
import Foundation
import PrimesModel
import TestSupport
import Testing

/// The shortcuts taken for speed (rows built as drafts, strings and whole numbers taken straight from the
/// parser's buffer) give what the general path gives, and leave to it what they cannot stand for.
@Suite("PING fast paths")
struct PINGFastPathTests {
    @Test("a relationship to the focal point without a group id is still refused by the person's own rules")
    func groupWithoutIdGoesThroughTheJSONForm() throws {
        let document = """
            {"Data": [{"progres_individual.indiv.progres_id": "KKM-1",
              "progres_individual.indiv.progres_relationshiptofp": 125080000,
              "progres_individual.progres_relationshiptofpname": "Focal Point"}]}
            """
        let items = try PINGTesting.items(MemoryInput(Array(document.utf8), name: "page"))
        let rejection = try #require(PINGTesting.rejections(items).first)
        #expect(rejection.issues.map(\.field) == ["group.id"])
        #expect(rejection.issues.map(\.rule) == ["required field is missing"])
    }

    @Test("escaped strings and numbers of every form read the same as plain ones")
    func stringsAndNumbersOfEveryForm() throws {
        let document = #"""
            {"Data": [
             {"progres_individual.indiv.progres_id": "K\u004bM-2", "progres_individual.indiv.progres_givenname": "A\"b\\c",
              "progres_individual.indiv.progres_familyname": "Zoë", "progres_individual.indiv.progres_sex": 125080001,
              "a": -0, "b": 7, "c": -12, "d": 1.5, "e": 1e3, "f": 1234567890123456789, "g": 0}
            ]}
            """#
        let items = try PINGTesting.items(MemoryInput(Array(document.utf8), name: "page"))
        let person = try #require(PINGTesting.persons(items).first)
        #expect(person.id == "KKM-2")
        #expect(person.name?.given == "A\"b\\c")
        #expect(person.name?.family == "Zoë")
        #expect(person.sex == "male")
        let kept = try #require(person.extensions["unhcr.progres"])
        #expect(kept["a"] == .number(-0.0) && kept["a"]?.scalarText == "0")
        #expect(kept["b"] == .number(7))
        #expect(kept["c"] == .number(-12))
        #expect(kept["d"] == .number(1.5))
        #expect(kept["e"] == .number(1000))
        #expect(kept["f"] == .number(1_234_567_890_123_456_768))
        #expect(kept["g"] == .number(0))
    }

    @Test("a written payload reads back to the same persons")
    func writtenPayloadReadsBack() throws {
        let persons = [
            Person(
                id: "KKM-3", name: PersonName(given: "Jo/hn \"J\"", family: "Test\u{1}"), sex: "female",
                birthDate: try PartialDate(iso: "1990-04-17"), contacts: [Contact(kind: "phone", value: "+254700")]),
            Person(id: "KKM-4", sex: "male", birthDate: try PartialDate(iso: "1990")),
        ]
        let sink = MemoryOutput()
        let encoder = try PINGIngestionEncoder(
            mapping: PINGTesting.mapping, codeLists: TestEnvironment.adapters.codeLists)
        let writer = PINGWriter(sink: sink, encoder: encoder)
        for person in persons { _ = try writer.write(.person(person), from: RecordLocation(source: "test")) }
        try writer.finish()

        let text = String(decoding: sink.bytes, as: UTF8.self)
        #expect(text.contains(#""Value":"Jo/hn \"J\"""#))
        #expect(text.contains(#""Value":"Test\u0001""#))
        #expect(text.contains(#"{"Name":"progres_sex","Value":125080000}"#))
        let back = PINGTesting.persons(try PINGTesting.items(MemoryInput(sink.bytes, name: "payload")))
        #expect(back.map(\.name?.given) == ["Jo/hn \"J\"", nil])
        #expect(back.map(\.birthDate) == [try PartialDate(iso: "1990-04-17"), nil])
    }
}
