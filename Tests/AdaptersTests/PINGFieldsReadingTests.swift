import Adapters
import Foundation
import PrimesModel
import TestSupport
import Testing

/// The rules the reader keeps while it takes an ingestion item's `Fields` as name/value pairs and remembers the
/// slots of row keys: what a dictionary per object gave before, and no slot carried from one row to another.
@Suite("PING reader: Fields read as pairs")
struct PINGFieldsReadingTests {
    @Test("a Name, a Value or a Fields list given twice counts by its last")
    func lastOfRepeatedMembersCounts() throws {
        let payload = """
            {"Data": [
              {"ExternalId": "x1", "Fields": [{"Name": "progres_id", "Value": "KKM-00000001"}],
               "Fields": [{"Name": "progres_id", "Value": "KKM-00000002"}]},
              {"Fields": [{"Name": "progres_givenname", "Name": "progres_id", "Value": "A", "Value": "KKM-00000003"}]}
            ]}
            """
        let persons = PINGTesting.persons(try PINGTesting.items(MemoryInput(payload, name: "payload")))
        #expect(persons.map(\.id) == ["KKM-00000002", "KKM-00000003"])
        #expect(persons.map(\.name?.given) == [nil, nil])
    }

    @Test("an item whose last Fields is not a list is read as a retrieval row")
    func fieldsNotAListIsARow() throws {
        let payload = """
            [{"Fields": [{"Name": "progres_id", "Value": "KKM-00000001"}], "Fields": 3,
              "progres_individual.indiv.progres_id": "KKM-00000004"}]
            """
        let person = try #require(PINGTesting.persons(try PINGTesting.items(MemoryInput(payload, name: "p"))).first)
        #expect(person.id == "KKM-00000004")
        #expect(person.extensions["unhcr.progres"]?["Fields"] == 3)
    }

    @Test("a field that is not an object, or has no text Name, rejects its item")
    func fieldNeedsAName() throws {
        let payload = """
            {"Data": [
              {"Fields": [{"Name": "progres_id", "Value": "KKM-00000005"}, 3]},
              {"Fields": [{"Value": "KKM-00000005"}]},
              {"Fields": [{"Name": null, "Value": "KKM-00000005"}]}
            ]}
            """
        let rejections = PINGTesting.rejections(try PINGTesting.items(MemoryInput(payload, name: "p")))
        #expect(rejections.map { $0.issues.first?.field } == ["Fields[1]", "Fields[0]", "Fields[0]"])
        #expect(rejections.allSatisfy { $0.issues.first?.rule == "needs a Name" })
    }

    @Test("a value nested past the parser's limit fails as before, in a Value or in a member the reader skips")
    func depthLimitHolds() throws {
        func payload(_ member: String, depth: Int) -> String {
            let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            return "{\"Data\": [{\"Fields\": [{\"Name\": \"progres_id\", \"\(member)\": \(nested)}]}]}"
        }
        let deepest = try PINGTesting.items(MemoryInput(payload("Value", depth: 59), name: "p"))
        #expect(PINGTesting.rejections(deepest).first?.issues.first?.rule == "must be text")
        for member in ["Value", "Other"] {
            #expect(
                throws: InputError.malformed(
                    RecordLocation(source: "p", line: 1), reason: "not valid JSON: nested deeper than 64 levels")
            ) {
                _ = try PINGTesting.items(MemoryInput(payload(member, depth: 60), name: "p"))
            }
        }
    }

    @Test("keys in another order, or of the other shape, at the same position are mapped afresh")
    func slotsAreNotCarriedOver() throws {
        let payload = """
            [{"Fields": [{"Name": "progres_id", "Value": "KKM-00000006"}, {"Name": "progres_givenname", "Value": "A"}]},
             {"Fields": [{"Name": "progres_givenname", "Value": "B"}, {"Name": "progres_id", "Value": "KKM-00000007"}]},
             {"progres_id": "KKM-00000008", "progres_individual.indiv.progres_id": "KKM-00000009"}]
            """
        let persons = PINGTesting.persons(try PINGTesting.items(MemoryInput(payload, name: "p")))
        #expect(persons.map(\.id) == ["KKM-00000006", "KKM-00000007", "KKM-00000009"])
        #expect(persons.map(\.name?.given) == ["A", "B", nil])
        #expect(persons.last?.extensions["unhcr.progres"]?["progres_id"] == "KKM-00000008")
    }
}
