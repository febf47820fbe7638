import Adapters
import Testing

@Suite("Reading lines from a byte source")
struct LineReaderTests {
    private func lines(_ text: String, chunkSize: Int = 7, limit: Int = 1000) throws -> [String] {
        let reader = LineReader(source: MemoryInput(text), maximumLineLength: limit, chunkSize: chunkSize)
        var found: [String] = []
        while let line = try reader.nextLine({ String(decoding: $0, as: UTF8.self) }) { found.append(line) }
        return found
    }

    @Test("LF and CRLF endings, lines across chunk boundaries, no final newline")
    func endings() throws {
        #expect(
            try lines("alpha\r\nbeta\nlonger than one chunk\r\nlast") == [
                "alpha", "beta", "longer than one chunk", "last",
            ])
        #expect(try lines("one\n") == ["one"])
        #expect(try lines("") == [])
        #expect(try lines("\n\n") == ["", ""])
    }

    @Test("the same lines whatever the chunk size", arguments: [1, 2, 3, 5, 64, 65536])
    func chunkSizes(chunkSize: Int) throws {
        let text = "a,b\r\nccc\n\nddddd\r\ne"
        #expect(try lines(text, chunkSize: chunkSize) == ["a,b", "ccc", "", "ddddd", "e"])
    }

    @Test("a line over the limit is an input error naming its line")
    func tooLong() throws {
        #expect {
            try lines("short\nthis line is far too long\n", chunkSize: 4, limit: 10)
        } throws: { error in
            guard case .malformed(let location, _) = error as? InputError else { return false }
            return location.line == 2
        }
    }

    @Test("line numbers count from 1")
    func numbers() throws {
        let reader = LineReader(source: MemoryInput("x\ny\n"))
        _ = try reader.nextLine { _ in () }
        _ = try reader.nextLine { _ in () }
        #expect(reader.lineNumber == 2)
    }
}
