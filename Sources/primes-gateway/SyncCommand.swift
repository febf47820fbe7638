import Adapters
import CommandLineSupport
import Foundation
import Gateway
import PrimesLogging

/// `primes-gateway sync`: polls the configuration's sources (`--once`: one poll of one source, then the
/// deliveries it made) or shows their state (`sync status`).
enum SyncCommand {
    static let spec = CommandSpec(
        name: "sync",
        summary: "poll a configured source once and deliver what it brought (--once), or show the sources (status)",
        options: [
            .init("config", value: "FILE", required: true, help: "the gateway's configuration file"),
            .init("source", value: "NAME", help: "the source to poll"),
            .init("once", help: "poll one time, deliver, and exit"),
            .init("json", help: "with status: print JSON"),
        ],
        positionals: [.init("ACTION", help: "status")]
    )

    static let verb = Verb(spec: spec) { arguments in
        let configuration = try GatewayConfiguration.load(path: arguments["config"] ?? "")
        switch arguments.positionals.first {
        case "status":
            return try status(configuration, json: arguments.has("json"))
        case .some(let action):
            throw UsageError.unexpectedArgument(action, command: spec.name)
        case .none:
            guard let name = arguments["source"] else { throw UsageError.missingOption("source", command: spec.name) }
            guard arguments.has("once") else {
                throw UsageError.invalidValue(
                    option: "once",
                    reason: "only one poll at a time is built so far: give --once (run it from a timer)",
                    command: spec.name)
            }
            return try pollOnce(configuration, source: name)
        }
    }

    private static func pollOnce(_ configuration: GatewayConfiguration, source name: String) throws -> Int32 {
        guard configuration.source(named: name) != nil else {
            throw UsageError.unknownName(
                name, option: "source", known: configuration.sources.map(\.name), command: spec.name)
        }
        let runtime = try GatewayRuntime(
            configuration: configuration, environment: try AdapterEnvironment.load(),
            logger: Logger(label: "sync", style: .text, minimumLevel: .warning))
        let report = try SourcePoller(runtime: runtime, readers: PullCommand.readers).poll(name)
        try runtime.delivery.drain()

        for file in report.files {
            var line = "\(file.name): \(file.outcome.rawValue)"
            if file.alreadyProcessed {
                line += ", processed before (same checksum): nothing enqueued"
            } else {
                line +=
                    ", \(file.accepted) accepted (\(file.enqueued) enqueued, \(file.unchanged) unchanged), "
                    + "\(file.rejected) rejected"
                if let error = file.inputError { line += "; \(error)" }
            }
            print(line + "; moved to \(file.movedTo)")
        }
        if let pull = report.pull {
            for rejection in pull.rejections.prefix(ConversionRun.printedRejections) {
                FileHandle.standardError.write(Data((rejection.description + "\n").utf8))
            }
            let echoes = pull.echoed > 0 ? ", \(pull.echoed) the gateway's own writes coming back" : ""
            print(
                "pulled since \(pull.since ?? "the beginning"): \(pull.accepted) accepted (\(pull.enqueued) enqueued, "
                    + "\(pull.unchanged) unchanged\(echoes)), \(pull.rejected) rejected; next poll from \(pull.cursor)")
        }
        let waiting = try runtime.store.counts().filter { $0.state != .delivered && $0.state != .dead }
        print(
            "source \(name): \(report.files.count) file(s), \(report.enqueued) enqueued, \(report.unchanged) unchanged, "
                + "\(report.rejected) rejected; \(waiting.map(\.count).reduce(0, +)) deliveries waiting")
        return report.rejected > 0 || report.files.contains { $0.outcome == .rejected }
            ? ExitCode.recordsRejected : ExitCode.success
    }

    private static func status(_ configuration: GatewayConfiguration, json: Bool) throws -> Int32 {
        guard let store = try GatewayRuntime.openStore(for: configuration) as? any SourceStore else {
            throw SyncError.storeWithoutCursors
        }
        let stored = try store.sourceStatuses()
        // Configured sources never polled are shown too, with zero counts.
        let statuses = configuration.sources.map { source in
            stored.first { $0.source == source.name } ?? SourceStatus(source: source.name)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(statuses), as: UTF8.self))
            return ExitCode.success
        }
        if statuses.isEmpty { print("the configuration has no sources") }
        for status in statuses {
            let lastPoll = status.lastPollAt.map { Date(timeIntervalSince1970: $0).ISO8601Format() } ?? "never"
            var line =
                "\(status.source): last poll \(lastPoll); \(status.recordsPulled) pulled, "
                + "\(status.recordsEnqueued) enqueued, \(status.recordsUnchanged) unchanged, "
                + "\(status.recordsRejected) rejected, \(status.recordsEchoed) echoes of the gateway's own writes; "
                + "\(status.filesProcessed) file(s), "
                + "\(status.filesRejected) rejected"
            if let file = status.lastFile { line += "; last file \(file)" }
            if let cursor = status.cursor { line += "; cursor \(cursor)" }
            if let error = status.lastError { line += "; last error: \(error)" }
            print(line)
        }
        return ExitCode.success
    }
}
