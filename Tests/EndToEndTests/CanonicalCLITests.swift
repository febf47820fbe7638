import Foundation
import TestSupport
import Testing

/// The real `primes-gateway` executable, run as a user would.
@Suite("CLI: formats, convert and validate on canonical records")
struct CanonicalCLITests {
    static let validFixtures = [
        "family-of-five", "unaccompanied-child", "birth-year-only", "stateless-person", "with-extensions",
    ]

    @Test("formats lists canonical with its direction")
    func formats() throws {
        let result = try ProcessRunner.gateway(["formats"])
        #expect(result.status == 0)
        let line = try #require(result.standardOutput.split(separator: "\n").first { $0.hasPrefix("canonical ") })
        #expect(line.contains("yes"))
    }

    @Test("convert re-emits a valid fixture and exits 0", arguments: validFixtures)
    func convertValid(fixture: String) throws {
        let result = try ProcessRunner.gateway([
            "convert", "--from", "canonical", "--to", "canonical", "Fixtures/canonical/\(fixture).ndjson",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let input = try String(contentsOfFile: RepositoryPaths.fixture("canonical/\(fixture).ndjson"), encoding: .utf8)
        #expect(result.standardOutput.split(separator: "\n").count == input.split(separator: "\n").count)
    }

    @Test("validate names each bad field and rule with file and line, and exits 1")
    func validateInvalid() throws {
        let result = try ProcessRunner.gateway([
            "validate", "--format", "canonical", "Fixtures/canonical/invalid-codes-and-dates.ndjson",
        ])
        #expect(result.status == 1)
        let errors = result.standardError
        for expected in [
            "invalid-codes-and-dates.ndjson:1: sex: \"F\" is not in code list sex",
            "invalid-codes-and-dates.ndjson:1: nationalities[0]: \"XXX\" is not in code list iso-3166-1-alpha-3",
            "invalid-codes-and-dates.ndjson:2: birthDate.value: day does not exist in that month",
            "invalid-codes-and-dates.ndjson:3: birthDate.precision: precision does not match the date's value",
            "invalid-codes-and-dates.ndjson:4: favouriteColour: unknown field",
            "invalid-codes-and-dates.ndjson:6: size: must be at least 1",
        ] {
            #expect(errors.contains(expected), "missing: \(expected)")
        }
        #expect(result.standardOutput.isEmpty)
    }

    @Test("a missing input file exits 2 with one line")
    func missingFile() throws {
        let result = try ProcessRunner.gateway(["validate", "--format", "canonical", "no/such/file.ndjson"])
        #expect(result.status == 2)
        #expect(result.standardError.split(separator: "\n").count == 1)
        #expect(result.standardError.contains("no/such/file.ndjson: cannot read"))
    }

    @Test(
        "unknown flags, missing values and unknown formats exit 2 with usage",
        arguments: [
            ["convert", "--from", "canonical", "--to", "canonical", "--colour"],
            ["convert", "--from", "canonical", "--to"],
            ["convert", "--to", "canonical"],
            ["convert", "--from", "klingon", "--to", "canonical"],
            ["frobnicate"],
            [],
        ])
    func usageErrors(arguments: [String]) throws {
        let result = try ProcessRunner.gateway(arguments)
        #expect(result.status == 2)
        #expect(result.standardError.contains("usage") || result.standardError.contains("unknown format"))
    }

    @Test("--help works on every verb", arguments: ["formats", "convert", "validate"])
    func help(verb: String) throws {
        let result = try ProcessRunner.gateway([verb, "--help"])
        #expect(result.status == 0)
        #expect(result.standardOutput.hasPrefix("usage: primes-gateway \(verb)"))
    }

    @Test("--report writes counts and reasons as JSON; -o writes the output file")
    func reportAndOutput() throws {
        let folder = try TemporaryDirectory()
        let result = try ProcessRunner.gateway([
            "convert", "--from", "canonical", "--to", "canonical", "--report", folder.path("report.json"),
            "-o", folder.path("out.ndjson"), "Fixtures/canonical/invalid-not-json.ndjson",
        ])
        #expect(result.status == 1)
        let data = try Data(contentsOf: URL(fileURLWithPath: folder.path("report.json")))
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(report["recordsIn"] as? Int == 3)
        #expect(report["recordsOut"] as? Int == 1)
        #expect(report["rejectedCount"] as? Int == 2)
        let output = try String(contentsOfFile: folder.path("out.ndjson"), encoding: .utf8)
        #expect(output.split(separator: "\n").count == 1)
    }

    @Test("standard input to standard output")
    func pipes() throws {
        let input = try Data(
            contentsOf: URL(fileURLWithPath: RepositoryPaths.fixture("canonical/stateless-person.ndjson")))
        let result = try ProcessRunner.gateway(
            ["convert", "--from", "canonical", "--to", "canonical", "-"], input: input)
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("\"stateless\""))
    }
}

/// The canonical JSON Schema, checked with Python's `jsonschema` (a real, independent validator).
@Suite("JSON Schema of the canonical model")
struct CanonicalSchemaTests {
    private func checkSchema(_ arguments: [String], input: Data? = nil) throws -> ProcessResult {
        try ProcessRunner.run(
            ProcessRunner.python,
            [RepositoryPaths.root.appendingPathComponent("scripts/check-schema").path] + arguments,
            input: input
        )
    }

    /// Every canonical NDJSON fixture of the repository, in any folder, except those meant to fail.
    static var canonicalFixtures: [String] {
        let enumerator = FileManager.default.enumerator(atPath: RepositoryPaths.fixtures.path)
        var found: [String] = []
        while let path = enumerator?.nextObject() as? String {
            let name = (path as NSString).lastPathComponent
            if name.hasSuffix(".ndjson") && !name.hasPrefix("invalid-") { found.append(path) }
        }
        return found.sorted()
    }

    @Test("every valid canonical fixture in the repository validates")
    func fixtures() throws {
        let fixtures = Self.canonicalFixtures
        #expect(fixtures.count >= CanonicalCLITests.validFixtures.count)
        let result = try checkSchema(fixtures.map { RepositoryPaths.fixture($0) })
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
    }

    @Test("every record the CLI writes validates", arguments: CanonicalCLITests.validFixtures)
    func cliOutput(fixture: String) throws {
        let converted = try ProcessRunner.gateway([
            "convert", "--from", "canonical", "--to", "canonical", "Fixtures/canonical/\(fixture).ndjson",
        ])
        #expect(converted.status == 0)
        let result = try checkSchema(["-"], input: Data(converted.standardOutput.utf8))
        #expect(result.status == 0, "\(result.standardOutput)")
        #expect(result.standardError.contains("0 problems"))
    }

    @Test("the schema rejects the invalid fixtures' shape errors")
    func invalidFixtures() throws {
        let result = try checkSchema([RepositoryPaths.fixture("canonical/invalid-codes-and-dates.ndjson")])
        #expect(result.status == 1)
        #expect(result.standardOutput.contains(":4: record: violates 'additionalProperties'"))
        #expect(result.standardOutput.contains(":6: size: violates 'minimum'"))
    }
}
