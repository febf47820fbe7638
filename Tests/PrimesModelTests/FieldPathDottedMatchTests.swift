import PrimesModel
import Testing

@Suite struct FieldPathDottedMatchTests {
    @Test func aMatchedValueMayHoldDots() throws {
        let path = try FieldPath("identifiers[scheme=unhcr.progres.individual].value")
        #expect(
            path.segments == [
                .key("identifiers"), .match(field: "scheme", value: "unhcr.progres.individual"), .key("value"),
            ])
        let record: JSONValue = .object([
            "identifiers": .array([.object(["scheme": "unhcr.progres.individual", "value": "TST-1"])])
        ])
        #expect(path.value(in: record) == "TST-1")
    }
}
