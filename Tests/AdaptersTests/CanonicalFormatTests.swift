import Adapters
import Foundation
import PrimesModel
import TestSupport
import Testing

@Suite("Canonical NDJSON reader and writer")
struct CanonicalFormatTests {
    static let validFixtures = [
        "family-of-five", "unaccompanied-child", "birth-year-only", "stateless-person", "with-extensions",
    ]

    private func readAll(_ path: String) throws -> [ReadItem] {
        let reader = CanonicalReader(source: try FileInput(path: path))
        var items: [ReadItem] = []
        while let item = try reader.next() { items.append(item) }
        return items
    }

    @Test("the fast writer produces exactly what JSONEncoder with sorted keys produces", arguments: validFixtures)
    func writerMatchesFoundation(fixture: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let encoding = CanonicalJSONEncoding()
        for item in try readAll(RepositoryPaths.fixture("canonical/\(fixture).ndjson")) {
            guard case .record(let source) = item else {
                Issue.record("fixture \(fixture) has a rejected record")
                continue
            }
            encoding.encode(source.record)
            #expect(
                String(decoding: encoding.bytes, as: UTF8.self)
                    == String(decoding: try encoder.encode(source.record), as: UTF8.self))
        }
    }

    @Test("text with quotes, backslashes, control characters and non-ASCII is escaped as JSON demands")
    func escaping() throws {
        let person = Person(id: "TST-00001", name: PersonName(given: "Q\"uote\\ \n\t\u{1} ñ 名"))
        let encoding = CanonicalJSONEncoding()
        encoding.encode(.person(person))
        let decoded = try JSONDecoder().decode(CanonicalRecord.self, from: Data(encoding.bytes))
        #expect(decoded == .person(person))
        #expect(String(decoding: encoding.bytes, as: UTF8.self).contains(#"\u0001"#))
    }

    @Test("a record larger than the writer's first scratch buffer is written whole, after a smaller one")
    func largeRecord() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let small = Person(id: "TST-00001", name: PersonName(given: "Ana"))
        var large = Person(id: "TST-00002", name: PersonName(given: String(repeating: "\"a\u{1}", count: 9_000)))
        large.otherNames = (0..<500).map { PersonName(family: "Name \($0) " + String(repeating: "x", count: 40)) }
        let encoding = CanonicalJSONEncoding()
        for person in [small, large, small] {
            encoding.encode(.person(person))
            #expect(encoding.bytes == Array(try encoder.encode(CanonicalRecord.person(person))))
        }
    }

    @Test("read, write and read again gives the same records", arguments: validFixtures)
    func roundTrip(fixture: String) throws {
        let first = try readAll(RepositoryPaths.fixture("canonical/\(fixture).ndjson"))
        let output = MemoryOutput()
        let writer = CanonicalWriter(sink: output)
        for case .record(let source) in first { _ = try writer.write(source.record, from: source.location) }
        try writer.finish()
        let reader = CanonicalReader(source: MemoryInput(output.bytes))
        var second: [CanonicalRecord] = []
        while case .record(let source)? = try reader.next() { second.append(source.record) }
        #expect(second == first.compactMap { if case .record(let s) = $0 { s.record } else { nil } })
        #expect(second.count == first.count)
    }

    @Test("a bad line is rejected with its line number and reading goes on")
    func badLines() throws {
        let items = try readAll(RepositoryPaths.fixture("canonical/invalid-not-json.ndjson"))
        #expect(items.count == 3)
        guard case .rejected(let rejection) = items[1] else {
            Issue.record("line 2 should be rejected")
            return
        }
        #expect(rejection.location.line == 2)
        #expect(rejection.issues.first?.rule == "not valid JSON")
        #expect(rejection.description.hasSuffix("invalid-not-json.ndjson:2: id: not valid JSON"))
    }

    @Test(
        "the fast decoder agrees with the model's Decodable conformance on every fixture line",
        arguments: validFixtures + ["invalid-codes-and-dates", "invalid-not-json"]
    )
    func decodersAgree(fixture: String) throws {
        let text = try String(contentsOfFile: RepositoryPaths.fixture("canonical/\(fixture).ndjson"), encoding: .utf8)
        for line in text.split(separator: "\n") {
            let bytes = Array(line.utf8)
            let foundation = try? JSONDecoder().decode(CanonicalRecord.self, from: Data(bytes))
            let fast = try? bytes.withUnsafeBytes { try CanonicalJSONDecoding.decode($0) }
            #expect(fast == foundation, "\(fixture): decoders disagree")
        }
    }

    @Test(
        "the fast decoder names the field and rule of each shape error",
        arguments: [
            (#"{"recordType":"person","id":"X-1","shoeSize":41}"#, "shoeSize", "unknown field"),
            (#"{"recordType":"person","name":{"given":7}}"#, "name.given", "must be text"),
            (
                #"{"recordType":"person","birthDate":{"value":"2001-02-30"}}"#, "birthDate.value",
                "day does not exist in that month"
            ),
            (
                #"{"recordType":"person","identifiers":[{"scheme":"a","value":"b"},{"scheme":"c"}]}"#,
                "identifiers[1].value", "required field is missing"
            ),
            (#"{"recordType":"group","size":2}"#, "id", "required field is missing"),
            (#"{"id":"X-1"}"#, "recordType", "required field is missing"),
            (#"{"recordType":"person","version":1.5}"#, "version", "must be a whole number"),
            (#"{"recordType":"person","sex":"f\u00e9"} trailing"#, "record", "not valid JSON"),
        ])
    func fastDecoderErrors(line: String, field: String, rule: String) {
        #expect(throws: JSONScanError(field: field, rule: rule)) {
            try Array(line.utf8).withUnsafeBytes { try CanonicalJSONDecoding.decode($0) }
        }
    }

    @Test("escapes, surrogate pairs and null decode as JSON says")
    func escapesAndNull() throws {
        let line = #"{"recordType":"person","id":"X-1","name":{"given":"a\"b\\c\n\u00e9\ud83d\ude00","middle":null}}"#
        let record = try Array(line.utf8).withUnsafeBytes { try CanonicalJSONDecoding.decode($0) }
        guard case .person(let person) = record else {
            Issue.record("expected a person")
            return
        }
        #expect(person.name?.given == "a\"b\\c\né😀")
        #expect(person.name?.middle == nil)
    }

    @Test("blank lines are skipped and line numbers stay true")
    func blankLines() throws {
        let input = MemoryInput(
            "\n{\"recordType\":\"group\",\"id\":\"G-1\"}\n   \n{\"recordType\":\"group\",\"id\":\"G-2\"}\n")
        let reader = CanonicalReader(source: input)
        var lines: [Int] = []
        while case .record(let source)? = try reader.next() { lines.append(source.location.line ?? 0) }
        #expect(lines == [2, 4])
    }
}
