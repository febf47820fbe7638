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

    @Test("bytes in memory are read into a buffer of their size, not a 64 KiB one")
    func bufferSizedToTheBody() throws {
        let source = RecordingSource(Array("one\ntwo\nthree".utf8))
        let reader = LineReader(source: source)
        var found: [String] = []
        while let line = try reader.nextLine({ String(decoding: $0, as: UTF8.self) }) { found.append(line) }
        #expect(found == ["one", "two", "three"])
        #expect(source.requested.first == 13)
        #expect(source.requested.allSatisfy { $0 <= 13 })
    }

    @Test("a body in memory says how much of it is left")
    func remainingBytes() throws {
        let input = MemoryInput("abcdef")
        #expect(input.remainingByteCount == 6)
        var buffer = [UInt8](repeating: 0, count: 4)
        _ = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
        #expect(input.remainingByteCount == 2)
    }
}

/// Bytes in memory that remember the size of every buffer a reader offered them.
private final class RecordingSource: ByteSource {
    let name = "recorded"
    private let input: MemoryInput
    private(set) var requested: [Int] = []

    init(_ bytes: [UInt8]) {
        input = MemoryInput(bytes)
    }

    var remainingByteCount: Int? { input.remainingByteCount }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        requested.append(buffer.count)
        return try input.read(into: buffer)
    }
}
