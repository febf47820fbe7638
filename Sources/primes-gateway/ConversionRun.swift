import Adapters
import Foundation
import PrimesModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One `convert` or `validate` run: opens the input and output, converts, prints problems, writes the report.
struct ConversionRun {
    /// How many rejected records are printed on standard error; the report holds the rest.
    static let printedRejections = 50

    let environment: AdapterEnvironment
    let input: String
    let mappingOverride: String?
    let reportPath: String?

    /// Converts (or, with no target, validates) and returns the exit code.
    func perform(from: RecordFormat, to: RecordFormat?, output: String?) throws -> Int32 {
        let context = environment.context(mappingOverride: mappingOverride)
        let source = try FileInput(path: input)
        guard let makeReader = from.makeReader else { throw FormatLookupError.cannotRead(from.name, readable: []) }
        let reader = try makeReader(source, context)

        var fileOutput: FileOutput?
        var writer: (any RecordWriter)?
        if let to, let output, let makeWriter = to.makeWriter {
            let sink = try FileOutput(path: output)
            fileOutput = sink
            writer = try makeWriter(sink, context)
        }

        var report = ConversionReport(from: from.name, to: to?.name ?? "validate")
        let progress = ProgressLine(enabled: isatty(2) == 1)
        try Conversion(validator: environment.validator).run(
            reader: reader,
            writer: writer,
            report: &report,
            onProgress: progress.update
        )
        progress.finish()
        try fileOutput?.commit()

        printProblems(report)
        if let reportPath { try writeReport(report, to: reportPath) }
        return report.rejectedCount > 0 ? ExitCode.recordsRejected : ExitCode.success
    }

    private func printProblems(_ report: ConversionReport) {
        for rejection in report.rejected.prefix(Self.printedRejections) {
            FileHandle.standardError.write(Data((rejection.description + "\n").utf8))
        }
        if report.rejectedCount > Self.printedRejections {
            printError("… and \(report.rejectedCount - Self.printedRejections) more rejected records (see --report)")
        }
        for warning in report.warnings.prefix(Self.printedRejections) {
            let lines = warning.issues.map { "\(warning.location): warning: \($0)" }
            FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        }
        let summary =
            "\(report.recordsIn) read, \(report.recordsOut) \(report.to == "validate" ? "valid" : "written"), "
            + "\(report.rejectedCount) rejected"
        if report.rejectedCount > 0 || isatty(2) == 1 { printError(summary) }
    }

    private func writeReport(_ report: ConversionReport, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let sink = try FileOutput(path: path)
        try sink.write(Array(try encoder.encode(report)) + [0x0A])
        try sink.commit()
    }
}

/// A progress line on standard error, only when it is a terminal, so that pipes and logs stay clean.
final class ProgressLine {
    private let enabled: Bool
    private var shown = false

    init(enabled: Bool) {
        self.enabled = enabled
    }

    func update(_ records: Int) {
        guard enabled else { return }
        shown = true
        FileHandle.standardError.write(Data("\r\(records) records…".utf8))
    }

    func finish() {
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
