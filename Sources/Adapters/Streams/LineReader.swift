/// Splits a byte source into lines (LF or CRLF) without holding more than one line and one chunk in memory.
public final class LineReader {
    public let source: any ByteSource
    /// The longest line accepted, in bytes; a longer one is an input error rather than unbounded memory.
    public let maximumLineLength: Int
    /// The 1-based number of the line most recently returned.
    public private(set) var lineNumber = 0
    private var chunk: [UInt8]
    private var start = 0
    private var end = 0
    private var finished = false

    public init(source: any ByteSource, maximumLineLength: Int = 16 * 1024 * 1024, chunkSize: Int = 64 * 1024) {
        self.source = source
        self.maximumLineLength = maximumLineLength
        // A request body of a few hundred bytes gets a buffer of its size: allocating and zeroing 64 KiB for
        // each one cost the server more than reading it.
        let size = source.remainingByteCount.map { min(chunkSize, max(1, $0)) } ?? chunkSize
        self.chunk = [UInt8](repeating: 0, count: size)
    }

    /// Calls `body` with the next line's bytes, without its line ending, and returns its result; nil at the end.
    ///
    /// The bytes are valid only inside `body`.
    public func nextLine<Result>(
        _ body: (UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result? {
        var carried: [UInt8] = []
        while true {
            if let newline = chunk[start..<end].firstIndex(of: 0x0A) {
                lineNumber += 1
                let lineStart = start
                start = newline + 1
                if carried.isEmpty {
                    var lineEnd = newline
                    if lineEnd > lineStart && chunk[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                    try checkLength(lineEnd - lineStart)
                    return try chunk.withUnsafeBytes {
                        try body(UnsafeRawBufferPointer(rebasing: $0[lineStart..<lineEnd]))
                    }
                }
                carried.append(contentsOf: chunk[lineStart..<newline])
                return try finish(&carried, body)
            }
            carried.append(contentsOf: chunk[start..<end])
            try checkLength(carried.count)
            start = 0
            end = 0
            if try finished || refill() == 0 {
                finished = true
                guard !carried.isEmpty else { return nil }
                lineNumber += 1
                return try finish(&carried, body)
            }
        }
    }

    private func finish<Result>(_ line: inout [UInt8], _ body: (UnsafeRawBufferPointer) throws -> Result) throws
        -> Result
    {
        if line.last == 0x0D { line.removeLast() }
        try checkLength(line.count)
        return try line.withUnsafeBytes(body)
    }

    private func refill() throws -> Int {
        let count = try chunk.withUnsafeMutableBytes { (raw) throws in try source.read(into: raw) }
        end = count
        return count
    }

    private func checkLength(_ length: Int) throws {
        if length > maximumLineLength {
            throw InputError.malformed(
                RecordLocation(source: source.name, line: lineNumber + 1),
                reason: "line longer than \(maximumLineLength) bytes"
            )
        }
    }
}
