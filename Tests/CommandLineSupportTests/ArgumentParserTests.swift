import CommandLineSupport
import Testing

@Suite("The hand-written argument parser")
struct ArgumentParserTests {
    let convert = CommandSpec(
        name: "convert",
        summary: "convert records",
        options: [
            .init("from", value: "FORMAT", required: true, help: "input format"),
            .init("to", value: "FORMAT", required: true, help: "output format"),
            .init("output", short: "o", value: "OUTPUT", help: "output"),
            .init("verbose", help: "say more"),
        ],
        positionals: [.init("INPUT", help: "input file")]
    )

    @Test("options with separate and inline values, short options, flags and a positional")
    func parses() throws {
        let parsed = try convert.parse([
            "--from", "canonical", "--to=scope-csv", "-o", "out.csv", "--verbose", "in.ndjson",
        ])
        #expect(parsed["from"] == "canonical")
        #expect(parsed["to"] == "scope-csv")
        #expect(parsed["output"] == "out.csv")
        #expect(parsed.has("verbose"))
        #expect(parsed.positionals == ["in.ndjson"])
    }

    @Test("a lone dash is standard input, and -- ends the options")
    func dashes() throws {
        #expect(try convert.parse(["--from", "a", "--to", "b", "-"]).positionals == ["-"])
        #expect(try convert.parse(["--from", "a", "--to", "b", "--", "--odd-name"]).positionals == ["--odd-name"])
    }

    @Test(
        "usage errors say what is wrong",
        arguments: [
            (
                ["--from", "a", "--to", "b", "--colour", "red"],
                UsageError.unknownOption("--colour", command: "convert")
            ),
            (["--from", "a", "--to"], .missingValue(option: "to", command: "convert")),
            (["--from", "a"], .missingOption("to", command: "convert")),
            (["--from", "a", "--to", "b", "x", "y"], .unexpectedArgument("y", command: "convert")),
            (["--from", "a", "--to", "b", "--verbose=yes"], .unexpectedValue(option: "verbose", command: "convert")),
            (["--from", "--to", "b"], .missingValue(option: "from", command: "convert")),
            (["-x", "--from", "a", "--to", "b"], .unknownOption("-x", command: "convert")),
        ])
    func usageErrors(arguments: [String], expected: UsageError) {
        #expect(throws: expected) { try convert.parse(arguments) }
    }

    @Test("--help wins over missing required options")
    func help() throws {
        #expect(try convert.parse(["--help"]).helpRequested)
        #expect(try convert.parse(["--to", "b", "-h"]).helpRequested)
    }

    @Test("help text lists every option and the synopsis marks optional parts")
    func helpText() {
        let help = convert.help(program: "primes-gateway")
        #expect(
            help.hasPrefix(
                "usage: primes-gateway convert --from FORMAT --to FORMAT [--output OUTPUT] [--verbose] [INPUT]"))
        for option in ["--from FORMAT", "-o, --output OUTPUT", "--verbose", "-h, --help"] {
            #expect(help.contains(option))
        }
    }
}
