import CommandLineSupport
import Foundation

/// One verb of the CLI: its interface and what it does.
struct Verb: Sendable {
    let spec: CommandSpec
    /// Runs the verb and returns the exit code: 0 success, 1 some records rejected, 2 bad usage or input.
    let run: @Sendable (ParsedArguments) throws -> Int32
}

/// Exit codes of the external contract.
enum ExitCode {
    static let success: Int32 = 0
    static let recordsRejected: Int32 = 1
    static let usageOrInput: Int32 = 2
}

extension CommandLine {
    static let program = "primes-gateway"

    /// Every verb, in the order `--help` lists them.
    static let verbs: [Verb] = [
        FormatsCommand.verb, ConvertCommand.verb, ValidateCommand.verb, PullCommand.verb, ServeCommand.verb,
        PushCommand.verb, OutboxCommand.verb, SyncCommand.verb,
    ]

    /// Dispatches to a verb; errors thrown by a verb are printed once here, never deep inside.
    static func run(_ arguments: [String]) -> Int32 {
        guard let word = arguments.first else {
            FileHandle.standardError.write(Data((overview() + "\n").utf8))
            return ExitCode.usageOrInput
        }
        if word == "--help" || word == "-h" || word == "help" {
            print(overview())
            return ExitCode.success
        }
        guard let verb = verbs.first(where: { $0.spec.name == word }) else {
            return usageFailure(UsageError.unknownCommand(word), spec: nil)
        }
        do {
            let parsed = try verb.spec.parse(Array(arguments.dropFirst()))
            if parsed.helpRequested {
                print(verb.spec.help(program: program))
                return ExitCode.success
            }
            return try verb.run(parsed)
        } catch let error as UsageError {
            return usageFailure(error, spec: verb.spec)
        } catch {
            printError("\(error)")
            return ExitCode.usageOrInput
        }
    }

    static func overview() -> String {
        var lines = ["usage: \(program) COMMAND [OPTIONS]", "", "commands:"]
        for verb in verbs {
            lines.append("  " + verb.spec.name.padding(toLength: 12, withPad: " ", startingAt: 0) + verb.spec.summary)
        }
        lines.append("")
        lines.append("\(program) COMMAND --help shows a command's options.")
        return lines.joined(separator: "\n")
    }

    private static func usageFailure(_ error: UsageError, spec: CommandSpec?) -> Int32 {
        printError(error.description)
        if let spec {
            printError("usage: " + spec.synopsis(program: program))
        } else {
            printError(overview())
        }
        return ExitCode.usageOrInput
    }
}

/// Writes a line to standard error, prefixed with the program's name.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("\(CommandLine.program): \(message)\n".utf8))
}

extension UsageError {
    /// An `--option NAME` naming nothing of its kind in the configuration, with the names there are.
    static func unknownName(_ name: String, option: String, known: [String], command: String) -> UsageError {
        .invalidValue(
            option: option,
            reason: "no \(option) \"\(name)\" in the configuration (known: \(known.joined(separator: ", ")))",
            command: command)
    }
}
