import Foundation
import TestSupport
import Testing

/// The SCOPE formats through the real `primes-gateway` executable (built by `swift build` beforehand).
@Suite("SCOPE through the CLI")
struct SCOPECommandLineTests {
    static let fixture = RepositoryPaths.fixture("scope/households.csv")

    @Test func csvToCanonicalAndBackIsByteForByte() throws {
        let folder = try TemporaryDirectory()
        let canonical = folder.path("households.ndjson")
        let back = folder.path("households.csv")
        let first = try ProcessRunner.gateway([
            "convert", "--from", "scope-csv", "--to", "canonical", Self.fixture, "-o", canonical,
        ])
        #expect(first.status == 0, "\(first.standardError)")
        let second = try ProcessRunner.gateway([
            "convert", "--from", "canonical", "--to", "scope-csv", canonical, "-o", back,
        ])
        #expect(second.status == 0, "\(second.standardError)")
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: back)) == Data(contentsOf: URL(fileURLWithPath: Self.fixture)))
    }

    @Test func csvToXMLAndBackThroughStandardStreams() throws {
        let csv = try Data(contentsOf: URL(fileURLWithPath: Self.fixture))
        let xml = try ProcessRunner.gateway(["convert", "--from", "scope-csv", "--to", "scope-xml"], input: csv)
        #expect(xml.status == 0)
        #expect(xml.standardOutput.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ScopeExchange"))
        let back = try ProcessRunner.gateway(
            ["convert", "--from", "scope-xml", "--to", "scope-csv"], input: Data(xml.standardOutput.utf8))
        #expect(back.status == 0)
        #expect(Data(back.standardOutput.utf8) == csv)
    }

    @Test func renamedColumnsThroughMapping() throws {
        let folder = try TemporaryDirectory()
        let base = RepositoryPaths.mappings.appendingPathComponent("scope/scope-exchange-v1.yaml").path
        let mapping = try folder.write(
            "field-office.yaml",
            """
            mapping: scope-exchange-v1-field-office
            formats: [scope-csv]
            extends: \(base)
            fields:
              - {id: household_id, column: HOUSEHOLD, record: group, canonical: id, required: true}
              - {id: phone_number, column: MOBILE, canonical: contacts}

            """)
        let original = try String(contentsOfFile: Self.fixture, encoding: .utf8)
        let renamed = original.replacingOccurrences(of: "household_id,", with: "HOUSEHOLD,")
            .replacingOccurrences(of: "phone_number,", with: "MOBILE,")
        let input = try folder.write("renamed.csv", renamed)

        let canonical = try ProcessRunner.gateway(
            ["convert", "--from", "scope-csv", "--to", "canonical", "--mapping", mapping, input])
        #expect(canonical.status == 0, "\(canonical.standardError)")
        #expect(canonical.standardOutput.contains("\"value\":\"+254700000101\""))
        let back = try ProcessRunner.gateway(
            ["convert", "--from", "canonical", "--to", "scope-csv", "--mapping", mapping],
            input: Data(canonical.standardOutput.utf8))
        #expect(back.standardOutput == renamed)

        let withoutMapping = try ProcessRunner.gateway(["convert", "--from", "scope-csv", "--to", "canonical", input])
        #expect(withoutMapping.status == 2)
        #expect(withoutMapping.standardError.contains("header lacks the required column(s) household_id"))
    }

    @Test func rejectedRowsNameFileLineFieldAndRuleAndExitOne() throws {
        let folder = try TemporaryDirectory()
        var lines = try String(contentsOfFile: Self.fixture, encoding: .utf8).components(separatedBy: "\r\n")
        lines[2] = lines[2].replacingOccurrences(of: ",SPOUSE,", with: ",COUSIN,")
        let input = try folder.write("bad.csv", lines.joined(separator: "\r\n"))
        let report = folder.path("report.json")
        let result = try ProcessRunner.gateway(
            ["convert", "--from", "scope-csv", "--to", "canonical", input, "--report", report])
        #expect(result.status == 1)
        #expect(
            result.standardError.contains(
                "\(input):3: household_role: \"COUSIN\" has no mapping in code list scope.household-role"))
        // no personal value in the messages
        #expect(!result.standardError.contains("Amani"))
        let json = try String(contentsOfFile: report, encoding: .utf8)
        #expect(json.contains("\"rejectedCount\" : 1"))
    }

    @Test func malformedCSVExitsTwoNamingTheLine() throws {
        let folder = try TemporaryDirectory()
        let original = try String(contentsOfFile: Self.fixture, encoding: .utf8)
        let input = try folder.write("open.csv", original + "KAK-23-000105,\"unterminated,1\r\n")
        let result = try ProcessRunner.gateway(["validate", "--format", "scope-csv", input])
        #expect(result.status == 2)
        #expect(result.standardError.contains("\(input):14: a quoted field that starts on this line is never closed"))
    }

    @Test func canonicalPersonWithoutScopeRequirementsIsRejectedAndNotHeldFieldsReported() throws {
        let folder = try TemporaryDirectory()
        let report = folder.path("report.json")
        let input = RepositoryPaths.fixture("canonical/unaccompanied-child.ndjson")
        let result = try ProcessRunner.gateway([
            "convert", "--from", "canonical", "--to", "scope-csv", input, "--report", report,
        ])
        #expect(result.status == 1)
        #expect(result.standardError.contains("household_id: required; the person belongs to no registration group"))

        let family = RepositoryPaths.fixture("canonical/family-of-five.ndjson")
        let written = try ProcessRunner.gateway([
            "convert", "--from", "canonical", "--to", "scope-xml", family, "--report", report,
        ])
        #expect(written.status == 0)
        let json = try String(contentsOfFile: report, encoding: .utf8)
        #expect(json.contains("\"languages\" : 1"))
        #expect(json.contains("\"relationships\" : 4"))
    }

    @Test func formatsListsBothScopeFormats() throws {
        let result = try ProcessRunner.gateway(["formats"])
        #expect(result.standardOutput.contains("scope-csv"))
        #expect(result.standardOutput.contains("scope-xml"))
    }
}
