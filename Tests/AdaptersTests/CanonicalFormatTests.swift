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
        #expect(rejection.description.hasSuffix("invalid-not-json.ndjson:2: record: not valid JSON"))
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
