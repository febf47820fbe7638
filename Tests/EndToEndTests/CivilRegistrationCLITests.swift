import Foundation
import TestSupport
import Testing

/// `primes-gateway convert` on civil-registration XML, through the real executable.
@Suite struct CivilRegistrationCLITests {
    private var xmllint: String? {
        ["/usr/bin/xmllint", "/usr/local/bin/xmllint"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test func formatsListsTheCivilRegistrationDialects() throws {
        let result = try ProcessRunner.gateway(["formats"])
        #expect(result.status == 0)
        for name in ["fhir-r4-xml", "de4a-birth-xml", "civil-xml"] {
            #expect(result.standardOutput.contains(name), "\(name) is not listed")
        }
    }

    @Test func fhirToCanonicalAndBackIsSchemaValid() throws {
        let directory = try TemporaryDirectory()
        let canonical = directory.path("births.ndjson")
        let fhir = directory.path("births.xml")
        let input = RepositoryPaths.fixture("civil-registration/births-deaths-marriages.fhir.xml")
        let read = try ProcessRunner.gateway([
            "convert", "--from", "fhir-r4-xml", "--to", "canonical", input, "-o", canonical,
        ])
        #expect(read.status == 0, "\(read.standardError)")
        let lines = try String(contentsOfFile: canonical, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 6)
        #expect(lines[0].contains("\"registration\""))
        let schemaCheck = try ProcessRunner.run(
            ProcessRunner.python, [RepositoryPaths.root.appendingPathComponent("scripts/check-schema").path, canonical])
        #expect(schemaCheck.status == 0, "\(schemaCheck.standardOutput)")

        let back = try ProcessRunner.gateway([
            "convert", "--from", "canonical", "--to", "fhir-r4-xml", canonical, "-o", fhir,
        ])
        #expect(back.status == 0, "\(back.standardError)")
        let original = try String(contentsOfFile: input, encoding: .utf8)
        #expect(try String(contentsOfFile: fhir, encoding: .utf8) == original)

        guard let standards = RepositoryPaths.sharedStandards, let xmllint else {
            Issue.record("../shared/standards or xmllint is missing: the FHIR schema check did not run")
            return
        }
        let schema = standards.appendingPathComponent("fhir-r4/xsd/fhir-single.xsd").path
        let check = try ProcessRunner.run(xmllint, ["--noout", "--nonet", "--schema", schema, fhir])
        #expect(check.status == 0, "\(check.standardError)")
    }

    @Test func de4aToFhirThroughTheCanonicalModel() throws {
        let directory = try TemporaryDirectory()
        let canonical = directory.path("birth.ndjson")
        let input = RepositoryPaths.fixture("civil-registration/birth-evidence.de4a.xml")
        let read = try ProcessRunner.gateway([
            "convert", "--from", "de4a-birth-xml", "--to", "canonical", input, "-o", canonical,
        ])
        #expect(read.status == 0, "\(read.standardError)")
        let fhir = try ProcessRunner.gateway(["convert", "--from", "canonical", "--to", "fhir-r4-xml", canonical])
        #expect(fhir.status == 0, "\(fhir.standardError)")
        #expect(fhir.standardOutput.contains("<code value=\"NMTH\"/>"))
        #expect(fhir.standardOutput.contains("<code value=\"NFTH\"/>"))
    }

    @Test func externalEntityExitsTwoNamingFileAndLine() throws {
        let input = RepositoryPaths.fixture("civil-registration/hostile-external-entity.xml")
        let result = try ProcessRunner.gateway(["convert", "--from", "fhir-r4-xml", "--to", "canonical", input])
        #expect(result.status == 2)
        // libxml2 reads ahead: the entity reference in the root's content (line 7) may be met before the DOCTYPE
        // node is handed out; either way the document is refused and nothing is fetched.
        let message = result.standardError
        #expect(
            message.contains("hostile-external-entity.xml:4:") || message.contains("hostile-external-entity.xml:7:"))
        #expect(message.contains("DTD") || message.contains("external entity"))
        #expect(!result.standardOutput.contains("root:"))
    }

    @Test func unmappedCodeRejectsOnlyItsRecord() throws {
        let directory = try TemporaryDirectory()
        let report = directory.path("report.json")
        let input = RepositoryPaths.fixture("civil-registration/unmapped-gender.fhir.xml")
        let result = try ProcessRunner.gateway(
            ["convert", "--from", "fhir-r4-xml", "--to", "canonical", "--report", report, input])
        #expect(result.status == 1)
        #expect(result.standardOutput.split(separator: "\n").count == 1)
        #expect(result.standardError.contains("unmapped-gender.fhir.xml:5:/Bundle/entry[2]: sex: at f:gender/@value"))
        let json = try String(contentsOfFile: report, encoding: .utf8)
        #expect(json.contains("fhir.administrative-gender"))
    }
}
