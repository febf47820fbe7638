import PrimesModel

/// Runs records from a reader through validation into a writer, one at a time, filling a report.
///
/// The CLI's `convert` and `validate`, and the server's ingest and convert endpoints, all go through here.
public struct Conversion {
    public let validator: Validator

    public init(validator: Validator) {
        self.validator = validator
    }

    /// Converts every record of `reader` into `writer` (or only validates when `writer` is nil).
    ///
    /// A rejected record is reported and skipped; an unreadable input or unwritable output throws and stops.
    /// A `ReadAheadRecordReader` reads on a second thread while this one validates and writes; the order of
    /// records, of problems and of callbacks is the same as on one thread.
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
        let readAhead = (reader as? any ReadAheadRecordReader).map { ReadAheadQueue(reader: $0) }
        defer { readAhead?.stop() }
        func nextItem() throws -> ReadItem? {
            if let readAhead { return try readAhead.next() }
            return try reader.next()
        }

        while let item = try nextItem() {
            report.recordsIn += 1
            if let onProgress, report.recordsIn % progressInterval == 0 { onProgress(report.recordsIn) }
            switch item {
            case .rejected(let rejection):
                report.reject(rejection)
            case .record(let source):
                let issues = validator.validate(source.record)
                let errors = issues.filter { $0.severity == .error }
                report.warn(source.location, source.warnings + issues.filter { $0.severity == .warning })
                guard errors.isEmpty else {
                    report.reject(RecordRejection(location: source.location, issues: errors))
                    continue
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
        try writer?.finish()
        return report
    }
}
