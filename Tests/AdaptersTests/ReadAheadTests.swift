import Adapters
import Foundation
import PrimesModel
import TestSupport
import Testing

/// Conversions whose reader works on a second thread give what reading on one thread gives: the same output,
/// the same report, the same callbacks in the same order, and an input error after the records before it.
@Suite("Reading on a second thread")
struct ReadAheadTests {
    /// Hides whether a reader can work on a second thread, so that `Conversion` reads it on one.
    private final class OneThread: RecordReader {
        let reader: any RecordReader

        init(_ reader: any RecordReader) {
            self.reader = reader
        }

        func next() throws -> ReadItem? {
            try reader.next()
        }
    }

    /// Canonical NDJSON of `count` people, every seventh line broken and every eleventh blank.
    private func canonicalInput(_ count: Int) -> [UInt8] {
        var text = ""
        for index in 0..<count {
            if index % 11 == 5 {
                text += "  \n"
            } else if index % 7 == 3 {
                text += "{\"recordType\":\"person\",\"ref\":\"P-\(index)\",\"sex\":\"F\"\n"
            } else {
                text +=
                    "{\"name\":{\"given\":\"G\(index)\"},\"recordType\":\"person\",\"ref\":\"P-\(index)\",\"sex\":\"female\"}\n"
            }
        }
        return Array(text.utf8)
    }

    private func convert(_ bytes: [UInt8], split: Bool, maximumLineLength: Int = 1024) throws -> (
        output: [UInt8], report: String, seen: [Int]
    ) {
        let reader = CanonicalReader(source: MemoryInput(bytes, name: "t.ndjson"), maximumLineLength: maximumLineLength)
        let sink = MemoryOutput()
        var report = ConversionReport(from: "canonical", to: "canonical")
        var seen: [Int] = []
        try Conversion(validator: TestEnvironment.adapters.validator).run(
            reader: split ? reader : OneThread(reader), writer: CanonicalWriter(sink: sink), report: &report,
            onRecord: { seen.append($0.location.line ?? 0) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (sink.bytes, String(decoding: try encoder.encode(report), as: UTF8.self), seen)
    }

    @Test func manyBlocksOfCanonicalLinesGiveWhatOneThreadGives() throws {
        let input = canonicalInput(3_000)
        let split = try convert(input, split: true)
        let single = try convert(input, split: false)
        #expect(split.output == single.output)
        #expect(split.report == single.report)
        #expect(split.seen == single.seen)
        #expect(split.seen.count > 2_000)
        #expect(split.report.contains("\"rejectedCount\":0") == false)
    }

    @Test func anInputErrorComesAfterTheRecordsBeforeIt() throws {
        var input = canonicalInput(1_000)
        input += Array(repeating: UInt8(ascii: "x"), count: 2_000) + [0x0A]
        var seen: [Int] = []
        let reader = CanonicalReader(source: MemoryInput(input, name: "t.ndjson"), maximumLineLength: 1024)
        var report = ConversionReport(from: "canonical", to: "validate")
        #expect(throws: InputError.self) {
            try Conversion(validator: TestEnvironment.adapters.validator).run(
                reader: reader, writer: nil, report: &report, onRecord: { seen.append($0.location.line ?? 0) })
        }
        // every line before the long one was read and handed on, as on one thread
        #expect(report.recordsIn == 1_000 - 1_000 / 11 - (1_000 % 11 > 5 ? 1 : 0))
        #expect(seen.last == 1_000)
    }

    @Test func withoutReadingAheadEveryBlockIsReadOnTheCallersThread() throws {
        let input = canonicalInput(700)
        let reader = ThreadRecordingReader(CanonicalReader(source: MemoryInput(input, name: "t.ndjson")))
        let caller = pthread_self()
        var report = ConversionReport(from: "canonical", to: "validate")
        var seen: [Int] = []
        try Conversion(validator: TestEnvironment.adapters.validator, readsAhead: false).run(
            reader: reader, writer: nil, report: &report, onRecord: { seen.append($0.location.line ?? 0) })
        #expect(reader.threads.count > 1)
        #expect(reader.threads.allSatisfy { pthread_equal($0, caller) != 0 })
        #expect(seen == (try convert(input, split: true).seen))
    }

    @Test func aSmallBodyInMemoryIsReadOnOneThreadAndALargeOneAhead() throws {
        let validator = TestEnvironment.adapters.validator
        #expect(!Conversion(validator: validator, for: MemoryInput(canonicalInput(3))).readsAhead)
        #expect(Conversion(validator: validator, for: MemoryInput(canonicalInput(3_000))).readsAhead)
        let folder = try TemporaryDirectory()
        let path = try folder.write("in.ndjson", String(decoding: canonicalInput(3), as: UTF8.self))
        #expect(Conversion(validator: validator, for: try FileInput(path: path)).readsAhead)
    }
}

/// A splitting reader that notes the thread each block is read on.
private final class ThreadRecordingReader: SplitRecordReader {
    let reader: CanonicalReader
    private(set) var threads: [pthread_t] = []

    init(_ reader: CanonicalReader) {
        self.reader = reader
    }

    func next() throws -> ReadItem? {
        try reader.next()
    }

    func nextBlock() throws -> CanonicalReader.Block? {
        threads.append(pthread_self())
        return try reader.nextBlock()
    }

    func items(from block: CanonicalReader.Block) -> [ReadItem] {
        reader.items(from: block)
    }
}
