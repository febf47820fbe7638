import CommandLineSupport
import Foundation
import Gateway

/// `primes-gateway outbox status|dead-letters|replay ID|dismiss ID|ledger`: looks into the outbox of a
/// configuration, sends a dead letter again or closes it, or checks the disclosure ledger.
enum OutboxCommand {
    static let spec = CommandSpec(
        name: "outbox",
        summary:
            "show the outbox (status, dead-letters), replay or dismiss a dead letter (replay ID, dismiss ID), "
            + "check the ledger (ledger)",
        options: [.init("config", value: "FILE", required: true, help: "the gateway's configuration file")],
        positionals: [
            .init("ACTION", optional: false, help: "status, dead-letters, replay, dismiss or ledger"),
            .init("ID", help: "the dead letter to replay or dismiss"),
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
        case "replay", "dismiss":
            let id = try deadLetterNumber(arguments)
            let store = try GatewayRuntime.openStore(for: configuration)
            let now = Date().timeIntervalSince1970
            let replay = action == "replay"
            guard try replay ? store.replay(deadLetter: id, now: now) : store.dismiss(deadLetter: id, now: now) else {
                printError(replay ? "no dead letter \(id) waiting for a replay" : "no open dead letter \(id)")
                return ExitCode.recordsRejected
            }
            print(
                replay
                    ? "dead letter \(id) is queued again; a running server or the next push delivers it"
                    : "dead letter \(id) is dismissed: its record will not be sent to that destination")
        case "ledger":
            return try checkLedger(configuration)
        default:
            throw UsageError.unexpectedArgument(action, command: spec.name)
        }
        return ExitCode.success
    }

    /// The dead letter's number, the second positional argument.
    private static func deadLetterNumber(_ arguments: ParsedArguments) throws -> Int64 {
        guard arguments.positionals.count == 2, let id = Int64(arguments.positionals[1]) else {
            throw UsageError.missingArgument("ID (a dead letter's number)", command: spec.name)
        }
        return id
    }

    /// Verifies every ledger file's chain: exit 0 when all hold, 1 naming the first broken line of each that
    /// does not.
    private static func checkLedger(_ configuration: GatewayConfiguration) throws -> Int32 {
        guard let directory = configuration.ledgerDirectory else {
            printError("the configuration keeps no ledger")
            return ExitCode.recordsRejected
        }
        let chains = DisclosureLedger.chains(in: directory).sorted { $0.key < $1.key }.map(\.value)
        if chains.isEmpty { print("no ledger files in \(directory): nothing has been sent") }
        var intact = true
        for chain in chains {
            // A slot's sealed files and its live one are one chain, checked in order.
            for (file, verification) in try DisclosureLedger.verify(chain: chain) {
                switch verification {
                case .intact(let entries)?:
                    print("\(file): \(entries) entries, chain intact")
                case .broken(let line, let reason)?:
                    intact = false
                    print("\(file): BROKEN at line \(line): \(reason)")
                case nil:
                    print("\(file): not checked, an earlier file of its chain is broken")
                }
            }
        }
        return intact ? ExitCode.success : ExitCode.recordsRejected
    }
}
