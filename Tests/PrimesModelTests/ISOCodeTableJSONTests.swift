import Foundation
import Testing

@testable import PrimesModel

@Suite("ISO code table JSON")
struct ISOCodeTableJSONTests {
    private func rows(_ text: String, table: String = "t") throws -> [[String: String]]? {
        try Array(text.utf8).withUnsafeBytes { try ISOCodeTableJSON.rows(of: table, in: $0) }
    }

    @Test("Debian's tables read to the same rows as JSONSerialization gives", arguments: ["3166-1", "639-3"])
    func debianTables(table: String) throws {
        let file = "\(ISOCodeTables.defaultDirectory)/iso_\(table).json"
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        let expected = try #require(
            (try JSONSerialization.jsonObject(with: data) as? [String: Any])?[table] as? [[String: String]])
        let read = try data.withUnsafeBytes { try ISOCodeTableJSON.rows(of: table, in: $0) }
        #expect(read == expected)
        #expect(expected.count > 200)
    }

    @Test("escapes, surrogate pairs, raw UTF-8 and other tables")
    func escapes() throws {
        let text = #"""
            {"other": [{"a": "b"}], "t": [
              {"alpha_3": "abc", "name": "Quote \" slash \/ back \\ tab \t"},
              {"alpha_3": "def", "name": "\u00e9t\u00C9 \ud83d\ude00 Åland"},
              {}
            ], "empty": []}
            """#
        let read = try #require(try rows(text))
        #expect(read.count == 3)
        #expect(read[0]["name"] == "Quote \" slash / back \\ tab \t")
        #expect(read[1]["name"] == "étÉ 😀 Åland")
        #expect(read[2].isEmpty)
        #expect(try rows(text, table: "missing") == nil)
    }

    @Test(
        "anything outside the shape is refused",
        arguments: [
            "", "[]", #"{"t": [{"a": 1}]}"#, #"{"t": [{"a": "b"}]"#, #"{"t": [{"a": "b"}]} x"#,
            #"{"t": [{"a": "\q"}]}"#, #"{"t": [{"a": "\ud800"}]}"#, #"{"t": [{"a": "\u12"}]}"#,
            "{\"t\": [{\"a\": \"line\nbreak\"}]}", #"{"t": [{"a": "b"},]}"#, #"{"t": {"a": "b"}}"#,
        ])
    func malformed(text: String) {
        #expect(throws: ISOCodeTableJSON.Malformed.self) { try rows(text) }
    }

    @Test("invalid UTF-8 is refused, not repaired")
    func invalidUTF8() {
        var bytes = Array(#"{"t": [{"a": "x"}]}"#.utf8)
        bytes[14] = 0xFF
        #expect(throws: ISOCodeTableJSON.Malformed.self) {
            try bytes.withUnsafeBytes { try ISOCodeTableJSON.rows(of: "t", in: $0) }
        }
    }
}
