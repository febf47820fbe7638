import Adapters
import Testing

@Suite("CSV reader")
struct CSVReaderTests {
    /// Every row of `text` as fields, read with a tiny chunk so that rows straddle chunk boundaries.
    private func rows(_ bytes: [UInt8], chunkSize: Int = 5, maximumLineLength: Int = 1024) throws -> [[String?]] {
        let reader = CSVReader(
            source: MemoryInput(bytes, name: "t.csv"), maximumLineLength: maximumLineLength, chunkSize: chunkSize)
        var rows: [[String?]] = []
        while try reader.nextRow() {
            rows.append((0..<reader.fieldCount).map { reader.text($0) })
        }
        return rows
    }

    private func rows(_ text: String, chunkSize: Int = 5) throws -> [[String?]] {
        try rows(Array(text.utf8), chunkSize: chunkSize)
    }

    @Test func quotedFieldsHoldDelimitersQuotesAndLineBreaks() throws {
        let read = try rows("a,b,c\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\n")
        #expect(read == [["a", "b", "c"], ["x, y", "say \"hi\"", "two\nlines"]])
    }

    @Test func crlfLfAndByteOrderMarkGiveTheSameRows() throws {
        let lf = try rows("h1,h2\nv1,\"v\r\n2\"\n")
        let crlf = try rows("h1,h2\r\nv1,\"v\r\n2\"\r\n")
        let bom = try rows([0xEF, 0xBB, 0xBF] + Array("h1,h2\r\nv1,\"v\r\n2\"\r\n".utf8))
        #expect(lf == [["h1", "h2"], ["v1", "v\r\n2"]])
        #expect(crlf == lf)
        #expect(bom == lf)
    }

    @Test func chunkSizeDoesNotChangeTheRows() throws {
        let text = "id,name\n1,\"a \"\"quoted\"\", long, field\"\r\n2,plain\n3,\"\"\n"
        let expected = try rows(text, chunkSize: 64 * 1024)
        for size in [1, 2, 3, 7, 13] {
            #expect(try rows(text, chunkSize: size) == expected)
        }
        #expect(expected.count == 4)
        #expect(expected[3] == ["3", ""])
    }

    @Test func blankLinesAreSkippedAndTheLastRowNeedsNoLineEnd() throws {
        #expect(try rows("a,b\n\n1,2\r\n\r\n3,4") == [["a", "b"], ["1", "2"], ["3", "4"]])
    }

    @Test func rowLineIsTheLineARowStartsOn() throws {
        let reader = CSVReader(source: MemoryInput("a,b\n\"x\ny\",z\nlast,row\n"), chunkSize: 4)
        var lines: [Int] = []
        while try reader.nextRow() { lines.append(reader.rowLine) }
        #expect(lines == [1, 2, 4])
    }

    @Test func unterminatedQuoteNamesTheLineWhereItStarts() throws {
        let error = #expect(throws: InputError.self) { try rows("a,b\n1,2\n3,\"open\nmore\n") }
        #expect(error?.description == "t.csv:3: a quoted field that starts on this line is never closed")
    }

    @Test func lineOverTheLimitIsAnInputErrorNamingTheLine() throws {
        let long = "a,b\n1,2\n" + String(repeating: "x", count: 40) + ",y\n"
        let error = #expect(throws: InputError.self) {
            try rows(Array(long.utf8), maximumLineLength: 32)
        }
        #expect(error?.description == "t.csv:3: line longer than 32 bytes")
    }

    @Test func textAfterAClosingQuoteIsARowProblemAndReadingGoesOn() throws {
        let reader = CSVReader(source: MemoryInput("a,b\n\"x\"y,2\n3,4\n"))
        #expect(try reader.nextRow())
        #expect(reader.problem == nil)
        #expect(try reader.nextRow())
        #expect(reader.problem == .textAfterClosingQuote(field: 0))
        #expect(try reader.nextRow())
        #expect(reader.problem == nil)
        #expect(reader.text(0) == "3")
    }

    @Test func invalidUTF8FieldHasNoText() throws {
        let reader = CSVReader(source: MemoryInput(Array("ok,".utf8) + [0xC3, 0x28] + [0x0A]))
        #expect(try reader.nextRow())
        #expect(reader.text(0) == "ok")
        #expect(reader.text(1) == nil)
    }
}
