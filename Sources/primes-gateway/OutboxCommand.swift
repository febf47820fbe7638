import CommandLineSupport
import Foundation
import Gateway

/// `primes-gateway outbox status|dead-letters|replay ID`: looks into the outbox of a configuration.
enum OutboxCommand {
    static let spec = CommandSpec(
        name: "outbox",
        summary: "show the outbox (status, dead-letters) or replay a dead letter (replay ID)",
        options: [.init("config", value: "FILE", required: true, help: "the gateway's configuration file")],
        positionals: [
            .init("ACTION", optional: false, help: "status, dead-letters or replay"),
            .init("ID", help: "the dead letter to replay"),
        ]
    )

    static let verb = Verb(spec: spec) { arguments in
        let configuration = try GatewayConfiguration.load(path: arguments["config"] ?? "")
        let action = arguments.positionals.first ?? ""
        switch action {
        case "status":
            let store = try GatewayRuntime.openStore(for: configuration)
            let rows = try store.counts()
            if rows.isEmpty { print("the outbox is empty") }
            for row in rows {
                print(
                    row.destination.padding(toLength: 24, withPad: " ", startingAt: 0)
                        + row.state.rawValue
                        .padding(toLength: 12, withPad: " ", startingAt: 0) + String(row.count))
            }
        case "dead-letters":
            let store = try GatewayRuntime.openStore(for: configuration)
            let letters = try store.deadLetters(limit: 1000)
            if letters.isEmpty { print("no dead letters") }
            for letter in letters {
                print("\(letter.id)\t\(letter.destination)\tbatch \(letter.batch)\t\(letter.reason)")
                for detail in letter.details { print("\t\t\(detail)") }
            }
        case "replay":
            guard arguments.positionals.count == 2, let id = Int64(arguments.positionals[1]) else {
                throw UsageError.missingArgument("ID (a dead letter's number)", command: spec.name)
            }
            let store = try GatewayRuntime.openStore(for: configuration)
            guard try store.replay(deadLetter: id, now: Date().timeIntervalSince1970) else {
                printError("no dead letter \(id) waiting for a replay")
                return ExitCode.recordsRejected
            }
            print("dead letter \(id) is queued again; a running server or the next push delivers it")
        default:
            throw UsageError.unexpectedArgument(action, command: spec.name)
        }
        return ExitCode.success
    }
}
