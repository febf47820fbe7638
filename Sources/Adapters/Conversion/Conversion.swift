import PrimesModel

/// Runs records from a reader through validation into a writer, one at a time, filling a report.
///
/// The CLI's `convert` and `validate`, and the server's ingest and convert endpoints, all go through here.
public struct Conversion {
    public let validator: Validator
    /// Whether a reader that can read on a second thread does so. Without it, everything runs on the caller's
    /// thread, in the same order and with the same results.
    public let readsAhead: Bool

    /// Inputs below this size hold less than one block of a splitting reader, so a second thread cannot
    /// overlap with anything: it would only add its start, its hand-overs and its wake-ups.
    public static let readAheadThreshold = 64 * 1024

    public init(validator: Validator, readsAhead: Bool = true) {
        self.validator = validator
        self.readsAhead = readsAhead
    }

    /// A conversion that reads ahead unless `source` is known to be small (a request body of a few records).
    public init(validator: Validator, for source: any ByteSource) {
        let small = source.remainingByteCount.map { $0 < Self.readAheadThreshold } ?? false
        self.init(validator: validator, readsAhead: !small)
    }

    /// Converts every record of `reader` into `writer` (or only validates when `writer` is nil).
    ///
    /// A rejected record is reported and skipped; an unreadable input or unwritable output throws and stops.
    /// A `ReadAheadRecordReader` reads on a second thread while this one validates and writes (unless
    /// `readsAhead` is false); the order of records, of problems and of callbacks is the same as on one thread.
    /// - Parameters:
    ///   - onRecord: called for each accepted record before it is written, as the server stores it.
    ///   - onProgress: called every `progressInterval` records with the number read so far.
    /// - Returns: the report, also for a run in which every record was rejected.
    @discardableResult
    public func run(
        reader: any RecordReader,
        writer: (any RecordWriter)?,
        report: inout ConversionReport,
        progressInterval: Int = 100_000,
        onRecord: ((SourceRecord) throws -> Void)? = nil,
        onProgress: ((Int) -> Void)? = nil
    ) throws -> ConversionReport {
        if onRecord == nil, let linesReader = reader as? any CanonicalLinesReader,
            writer == nil || writer is CanonicalWriter
        {
            try runLines(
                linesReader, writer: writer as? CanonicalWriter, report: &report, progressInterval: progressInterval,
                onProgress: onProgress)
            return report
        }

        if let split = reader as? any SplitRecordReader {
            try runSplit(
                split, writer: writer, report: &report, progressInterval: progressInterval, onRecord: onRecord,
                onProgress: onProgress)
            return report
        }

        let readAhead = (readsAhead ? reader as? any ReadAheadRecordReader : nil).map { reader in
            ReadAheadQueue<ReadItem>(blockSize: 512) { try reader.next() }
        }
        defer { readAhead?.stop() }
        func nextItem() throws -> ReadItem? {
            if let readAhead { return try readAhead.next() }
            return try reader.next()
        }

        while let item = try nextItem() {
            report.recordsIn += 1
            if let onProgress, report.recordsIn % progressInterval == 0 { onProgress(report.recordsIn) }
            try handle(item, writer: writer, report: &report, onRecord: onRecord)
        }
        try writer?.finish()
        return report
    }

    /// The run of a reader whose work splits in two: its blocks are read on a second thread and finished here.
    private func runSplit<Reader: SplitRecordReader>(
        _ reader: Reader,
        writer: (any RecordWriter)?,
        report: inout ConversionReport,
        progressInterval: Int,
        onRecord: ((SourceRecord) throws -> Void)?,
        onProgress: ((Int) -> Void)?
    ) throws {
        let blocks = BlockSource(reader.nextBlock, readingAhead: readsAhead)
        defer { blocks.stop() }
        while let block = try blocks.next() {
            for item in reader.items(from: block) {
                report.recordsIn += 1
                if let onProgress, report.recordsIn % progressInterval == 0 { onProgress(report.recordsIn) }
                try handle(item, writer: writer, report: &report, onRecord: onRecord)
            }
        }
        try writer?.finish()
    }

    /// The run of a reader that writes canonical lines itself: its lines go to the writer as they are, and
    /// its other items take the general path. The reader reads its blocks on a second thread.
    private func runLines<Reader: CanonicalLinesReader>(
        _ reader: Reader,
        writer: CanonicalWriter?,
        report: inout ConversionReport,
        progressInterval: Int,
        onProgress: ((Int) -> Void)?
    ) throws {
        let codeLists = validator.codeLists
        let encoding = writer != nil
        let blocks = BlockSource(reader.nextBlock, readingAhead: readsAhead)
        defer { blocks.stop() }
        var nextProgress = progressInterval
        func count(_ records: Int) {
            report.recordsIn += records
            while report.recordsIn >= nextProgress {
                onProgress?(nextProgress)
                nextProgress += progressInterval
            }
        }

        while let block = try blocks.next() {
            for part in reader.lines(from: block, validatingWith: codeLists, encoding: encoding) {
                count(part.recordCount)
                report.recordsOut += part.recordCount
                try writer?.write(lines: part.lines)
                for item in part.items {
                    count(1)
                    try handle(item, writer: writer, report: &report, onRecord: nil)
                }
            }
        }
        try writer?.finish()
    }

    /// Validates one item and writes it when it is a valid record, reporting what happened.
    private func handle(
        _ item: consuming ReadItem,
        writer: (any RecordWriter)?,
        report: inout ConversionReport,
        onRecord: ((SourceRecord) throws -> Void)?
    ) throws {
        switch consume item {
        case .rejected(let rejection):
            report.reject(rejection)
        case .record(let source):
            let issues = validator.validate(source.record)
            let errors = issues.filter { $0.severity == .error }
            report.warn(source.location, source.warnings + issues.filter { $0.severity == .warning })
            guard errors.isEmpty else {
                report.reject(RecordRejection(location: source.location, issues: errors))
                return
            }
            report.kept(source.keptInExtensions)
            do {
                try onRecord?(source)
                if let writer {
                    report.notHeld(try writer.write(source.record, from: source.location).notHeld)
                }
                report.recordsOut += 1
            } catch let rejection as RecordRejection {
                report.reject(rejection)
            }
        }
    }
}

/// The blocks of a reader, read on a second thread ahead of their use, or on the caller's thread.
private struct BlockSource<Block: Sendable> {
    private let readAhead: ReadAheadQueue<Block>?
    private let read: () throws -> Block?

    init(_ read: @escaping () throws -> Block?, readingAhead: Bool) {
        self.read = read
        readAhead = readingAhead ? ReadAheadQueue<Block>(blockSize: 1, depth: 4, produce: read) : nil
    }

    func next() throws -> Block? {
        if let readAhead { return try readAhead.next() }
        return try read()
    }

    func stop() {
        readAhead?.stop()
    }
}
