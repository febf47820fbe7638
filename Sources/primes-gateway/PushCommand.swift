import Adapters
import CommandLineSupport
import Foundation
import Gateway
import PrimesLogging

/// `primes-gateway push`: enqueues a file for one destination and delivers it once, without the server.
enum PushCommand {
    static let spec = CommandSpec(
        name: "push",
        summary: "enqueue a file for one destination and deliver it once, without the server",
        options: [
            .init("config", value: "FILE", required: true, help: "the gateway's configuration file"),
            .init("destination", value: "NAME", required: true, help: "a destination of the configuration"),
            .init("from", value: "FORMAT", required: true, help: "the input's format (see `formats`)"),
        ],
        positionals: [.init("INPUT", optional: false, help: "the file to send")]
    )

    static let verb = Verb(spec: spec) { arguments in
        let configuration = try GatewayConfiguration.load(path: arguments["config"] ?? "")
        let name = arguments["destination"] ?? ""
        guard configuration.destination(named: name) != nil else {
            throw UsageError.unknownName(
                name, option: "destination", known: configuration.destinations.map(\.name), command: spec.name)
        }
        let runtime = try GatewayRuntime(
            configuration: configuration, environment: try AdapterEnvironment.load(),
            logger: Logger(label: "push", style: .text, minimumLevel: .warning))

        let result = try runtime.ingestor.ingest(
            try FileInput(path: arguments.positionals.first ?? "-"), format: arguments["from"] ?? "", client: "push",
            destinations: [name])
        for rejection in result.rejected.prefix(ConversionRun.printedRejections) {
            FileHandle.standardError.write(Data((rejection.description + "\n").utf8))
        }
        try runtime.delivery.drain()

        let states = try runtime.store.batch(result.batch)?.records.flatMap(\.deliveries).map(\.state) ?? []
        let delivered = states.filter { $0 == .delivered }.count
        let dead = states.filter { $0 == .dead }.count
        let waiting = states.count - delivered - dead
        print(
            "batch \(result.batch): \(result.accepted) accepted, \(result.rejected.count) rejected; "
                + "to \(name): \(delivered) delivered (\(result.unchanged) unchanged), \(waiting) waiting for a retry, "
                + "\(dead) dead letters")
        return result.rejected.isEmpty && delivered == states.count ? ExitCode.success : ExitCode.recordsRejected
    }
}
