import Foundation
import PrimesModel
import Testing

@Suite("Canonical JSON")
struct CanonicalCodableTests {
    private func decode(_ json: String) throws -> CanonicalRecord {
        try JSONDecoder().decode(CanonicalRecord.self, from: Data(json.utf8))
    }

    @Test("an unknown key anywhere is an error naming its path")
    func unknownKeys() throws {
        for (json, path) in [
            (#"{"recordType":"person","id":"X-1234","shoeSize":41}"#, "shoeSize"),
            (#"{"recordType":"person","id":"X-1234","name":{"given":"A","nick":"B"}}"#, "name.nick"),
            (#"{"recordType":"group","id":"G","members":[{"ref":"a","boss":true}]}"#, "members[0].boss"),
        ] {
            do {
                _ = try decode(json)
                Issue.record("decoded \(path) without complaint")
            } catch let DecodingError.dataCorrupted(context) {
                #expect(context.codingPath.fieldPath == path)
            }
        }
    }

    @Test("absent lists decode as empty and empty lists are not written")
    func emptyLists() throws {
        let record = try decode(#"{"recordType":"person","id":"X-1234","nationalities":[]}"#)
        guard case .person(let person) = record else {
            Issue.record("expected a person")
            return
        }
        #expect(person.identifiers.isEmpty)
        #expect(person.nationalities.isEmpty)
        let encoded = String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
        #expect(!encoded.contains("nationalities"))
        #expect(encoded.contains(#""recordType":"person""#))
    }

    @Test("the three group roles survive a round trip separately")
    func groupRoles() throws {
        let json = #"{"recordType":"person","id":"X-1234","group":{"id":"G-1","principalRecipient":true}}"#
        guard case .person(let person) = try decode(json), let group = person.group else {
            Issue.record("expected a person with a group")
            return
        }
        #expect(group.principalRecipient)
        #expect(!group.focalPoint)
        #expect(!group.alternateRecipient)
    }

    @Test("recordType chooses the record kind and a wrong one is refused")
    func recordType() throws {
        #expect(try decode(#"{"recordType":"group","id":"G-1"}"#).recordType == .group)
        #expect(throws: DecodingError.self) { try decode(#"{"recordType":"household","id":"G-1"}"#) }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Person.self, from: Data(#"{"recordType":"group"}"#.utf8))
        }
    }

    @Test("extensions keep any JSON value under their namespace")
    func extensions() throws {
        let json =
            #"{"recordType":"person","id":"X-1234","extensions":{"unhcr.progres":{"a":1,"b":[true,null],"c":"t"}}}"#
        guard case .person(let person) = try decode(json) else {
            Issue.record("expected a person")
            return
        }
        #expect(person.extensions["unhcr.progres"]?["a"] == .number(1))
        #expect(person.extensions["unhcr.progres"]?["b"] == .array([.bool(true), .null]))
    }
}
