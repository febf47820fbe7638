import Adapters
import CommandLineSupport

/// `primes-gateway convert`: reads one format and writes another, through the canonical model.
enum ConvertCommand {
    static let spec = CommandSpec(
        name: "convert",
        summary: "convert records from one format to another through the canonical model",
        options: [
            .init("from", value: "FORMAT", required: true, help: "the input's format (see `formats`)"),
            .init("to", value: "FORMAT", required: true, help: "the output's format"),
            .init("mapping", value: "FILE", help: "a mapping file to use instead of the format's own"),
            .init("report", value: "FILE", help: "write a JSON report of the run to FILE"),
            .init("output", short: "o", value: "OUTPUT", help: "where to write (default: standard output)"),
        ],
        positionals: [.init("INPUT", help: "the file to read, or - for standard input (the default)")]
    )

    static let verb = Verb(spec: spec) { arguments in
        let environment = try AdapterEnvironment.load()
        let from = try environment.registry.reader(named: arguments["from"] ?? "")
        let to = try environment.registry.writer(named: arguments["to"] ?? "")
        let run = ConversionRun(
            environment: environment,
            input: arguments.positionals.first ?? "-",
            mappingOverride: arguments["mapping"],
            reportPath: arguments["report"]
        )
        return try run.perform(from: from, to: to, output: arguments["output"] ?? "-")
    }
}

/// `primes-gateway validate`: reads one format and reports every problem, writing nothing.
enum ValidateCommand {
    static let spec = CommandSpec(
        name: "validate",
        summary: "check every record of a file and report each bad field with its rule",
        options: [
            .init("format", value: "FORMAT", required: true, help: "the input's format (see `formats`)"),
            .init("mapping", value: "FILE", help: "a mapping file to use instead of the format's own"),
            .init("report", value: "FILE", help: "write a JSON report of the run to FILE"),
        ],
        positionals: [.init("INPUT", help: "the file to read, or - for standard input (the default)")]
    )

    static let verb = Verb(spec: spec) { arguments in
        let environment = try AdapterEnvironment.load()
        let format = try environment.registry.reader(named: arguments["format"] ?? "")
        let run = ConversionRun(
            environment: environment,
            input: arguments.positionals.first ?? "-",
            mappingOverride: arguments["mapping"],
            reportPath: arguments["report"]
        )
        return try run.perform(from: format, to: nil, output: nil)
    }
}
