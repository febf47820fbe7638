import Adapters
import Testing

@Suite("CSV writer")
struct CSVWriterTests {
    private func written(_ rows: [[String?]], neutralize: Bool = true) throws -> String {
        let sink = MemoryOutput()
        let writer = CSVWriter(sink: sink, neutralizesFormulas: neutralize)
        for row in rows { try writer.row(row) }
        try writer.flush()
        return sink.text
    }

    @Test func quotesOnlyWhatNeedsQuotes() throws {
        let text = try written([["plain", "a,b", "say \"hi\"", "two\nlines", nil, ""]])
        #expect(text == "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,\r\n")
    }

    @Test func neutralisesCellsThatWouldStartAFormula() throws {
        let text = try written([["=1+1", "+cmd", "-x", "@SUM(A1)", "\tlead", "\rlead", "ok"]])
        #expect(text == "'=1+1,'+cmd,'-x,'@SUM(A1),'\tlead,\"'\rlead\",ok\r\n")
        #expect(try written([["=1+1"]], neutralize: false) == "=1+1\r\n")
    }

    @Test func signedNumbersAreNotNeutralised() throws {
        #expect(try written([["+254700000101", "-3.5", "+", "-1.2.3"]]) == "+254700000101,-3.5,'+,'-1.2.3\r\n")
    }

    @Test func readingUndoesNeutralisation() throws {
        let values = ["=1+1", "+cmd", "@x", "\tlead", "plain", "'quoted"]
        let text = try written([values])
        let reader = CSVReader(source: MemoryInput(text))
        #expect(try reader.nextRow())
        let read = (0..<reader.fieldCount).compactMap { reader.text($0).map(CSVWriter.unneutralized) }
        #expect(read == values)
    }
}
