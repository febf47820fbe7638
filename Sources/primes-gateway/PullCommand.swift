import Adapters
import CommandLineSupport
import Foundation
import PrimesModel

/// A system `pull` can read records from, by the name given on the command line.
struct PullSource: Sendable {
    let name: String
    let summary: String
    /// Opens the source's records as a reader of canonical records; fetching happens as the reader is read.
    let open: @Sendable (PullRequest) throws -> any RecordReader
}

/// What `pull` was asked for, as a source sees it.
struct PullRequest {
    let url: String
    let credentials: PullCredentials
    let since: String?
    let environment: AdapterEnvironment
    let context: ConversionContext
}

/// `primes-gateway pull SOURCE`: reads every record a partner system gives and writes canonical NDJSON.
enum PullCommand {
    /// Every source `pull` knows; a source joins with one line here.
    static let sources: [PullSource] = [PrimeroPull.source, PINGPull.source]

    static let spec = CommandSpec(
        name: "pull",
        summary:
            "fetch records from a partner system (\(sources.map(\.name).joined(separator: ", "))) as canonical NDJSON",
        options: [
            .init("url", value: "URL", required: true, help: "the partner system's base URL"),
            .init("credentials-file", value: "FILE", required: true, help: "a YAML file with the credentials"),
            .init("since", value: "DATE", help: "only records changed since DATE (ISO 8601)"),
            .init("mapping", value: "FILE", help: "a mapping file to use instead of the source's own"),
            .init("report", value: "FILE", help: "write a JSON report of the run to FILE"),
            .init("output", short: "o", value: "OUTPUT", help: "where to write (default: standard output)"),
        ],
        positionals: [.init("SOURCE", optional: false, help: sources.map(\.name).joined(separator: " | "))]
    )

    static let verb = Verb(spec: spec) { arguments in
        let name = arguments.positionals.first ?? ""
        guard let source = sources.first(where: { $0.name == name }) else {
            throw UsageError.invalidValue(
                option: "SOURCE", reason: "known sources: \(sources.map(\.name).joined(separator: ", "))",
                command: "pull")
        }
        let environment = try AdapterEnvironment.load()
        let request = PullRequest(
            url: arguments["url"] ?? "",
            credentials: try PullCredentials(path: arguments["credentials-file"] ?? ""),
            since: arguments["since"],
            environment: environment,
            context: environment.context(mappingOverride: arguments["mapping"])
        )
        let reader = try source.open(request)
        let sink = try FileOutput(path: arguments["output"] ?? "-")
        var report = ConversionReport(from: source.name, to: CanonicalFormat.format.name)
        try Conversion(validator: environment.validator).run(
            reader: reader, writer: CanonicalWriter(sink: sink), report: &report)
        try sink.commit()

        for rejection in report.rejected.prefix(ConversionRun.printedRejections) {
            FileHandle.standardError.write(Data((rejection.description + "\n").utf8))
        }
        printError("\(report.recordsIn) read, \(report.recordsOut) written, \(report.rejectedCount) rejected")
        if let path = arguments["report"] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let output = try FileOutput(path: path)
            try output.write(Array(try encoder.encode(report)) + [0x0A])
            try output.commit()
        }
        return report.rejectedCount > 0 ? ExitCode.recordsRejected : ExitCode.success
    }
}

/// A credentials file: a flat YAML mapping of names to values (`token: …`, `partnerId: …`).
///
/// Its values are secrets: they are never printed; an error names only the file and the missing key.
struct PullCredentials {
    let path: String
    private let values: [String: String]

    init(path: String) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw InputError.unreadable(path, reason: "no such file or not UTF-8")
        }
        let node = try YAMLNode.parse(text, name: path)
        guard let pairs = node.pairs else {
            throw InputError.malformed(RecordLocation(source: path), reason: "a credentials file is a YAML mapping")
        }
        var values: [String: String] = [:]
        for (key, value) in pairs { values[key] = value.scalar }
        self.path = path
        self.values = values
    }

    subscript(key: String) -> String? {
        values[key].flatMap { $0.isEmpty ? nil : $0 }
    }

    func required(_ key: String) throws -> String {
        guard let value = self[key] else {
            throw InputError.malformed(RecordLocation(source: path), reason: "`\(key)` is missing")
        }
        return value
    }
}
