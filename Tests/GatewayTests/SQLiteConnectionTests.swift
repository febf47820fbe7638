import TestSupport
import Testing

@testable import Gateway

@Suite struct SQLiteConnectionTests {
    /// Text is bound from the string's own UTF-8 with its length: an empty string stays an empty text (not
    /// NULL), and values longer than a small string or beyond ASCII come back whole.
    @Test(arguments: ["", "plain", "naïve Zoë", "a text of more than fifteen bytes\twith a tab 🌍"])
    func textIsBoundWithItsLength(text: String) throws {
        let folder = try TemporaryDirectory()
        let connection = try SQLiteConnection(path: folder.path("bind.sqlite"))
        let rows = try connection.query("SELECT typeof(?1), length(CAST(?1 AS BLOB)), ?1", [.text(text)])
        #expect(rows.first?[0] == .text("text"))
        #expect(rows.first?[1] == .integer(Int64(text.utf8.count)))
        #expect(rows.first?[2] == .text(text))
    }
}
