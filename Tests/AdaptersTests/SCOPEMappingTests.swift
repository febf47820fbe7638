import Adapters
import Foundation
import PrimesModel
import TestSupport
import Testing

@Suite("SCOPE mapping file")
struct SCOPEMappingTests {
    /// An operator's mapping that renames three columns, extending the shipped one.
    static func renamedMapping(in folder: TemporaryDirectory) throws -> String {
        let base = RepositoryPaths.mappings.appendingPathComponent("scope/scope-exchange-v1.yaml").path
        return try folder.write(
            "renamed.yaml",
            """
            mapping: scope-exchange-v1-field-office
            version: "1"
            formats: [scope-csv, scope-xml]
            extends: \(base)
            fields:
              - {id: household_id, column: HH_ID, record: group, canonical: id, required: true}
              - {id: last_name, column: SURNAME, canonical: name.family, required: true}
              - {id: beneficiary_unique_id, column: BUF, canonical: ref, required: true}

            """)
    }

    @Test func theShippedMappingTargetsRealCanonicalCodes() throws {
        let environment = TestEnvironment.adapters
        let mapping = try environment.mappings.load("scope/scope-exchange-v1.yaml")
        try environment.mappings.checkTargets(of: mapping, against: environment.codeLists)
        #expect(mapping.formats == ["scope-csv", "scope-xml"])
        #expect(mapping.fields.count == 20)
    }

    @Test func renamedColumnsWorkWithNoCodeChange() throws {
        let folder = try TemporaryDirectory()
        let mapping = try Self.renamedMapping(in: folder)
        let original = String(decoding: try ScopeHarness.fixtureBytes(), as: UTF8.self)
        var lines = original.components(separatedBy: "\r\n")
        lines[0] = lines[0].replacingOccurrences(of: "household_id,", with: "HH_ID,")
            .replacingOccurrences(of: "last_name,", with: "SURNAME,")
            .replacingOccurrences(of: "beneficiary_unique_id,", with: "BUF,")
        let renamed = lines.joined(separator: "\r\n")

        let items = try ScopeHarness.read(renamed, mapping: mapping)
        #expect(items.allSatisfy { $0.rejection == nil })
        let expected = try ScopeHarness.read(original).compactMap { $0.record?.person?.name }
        #expect(items.compactMap { $0.record?.person?.name } == expected)

        // and written back with the operator's names
        let canonical = try ScopeHarness.convert(
            Array(renamed.utf8), from: "scope-csv", to: "canonical", mapping: mapping)
        let back = try ScopeHarness.convert(
            Array(canonical.output.utf8), from: "canonical", to: "scope-csv", mapping: mapping)
        #expect(back.output == renamed)

        // the shipped mapping does not know these names
        #expect(throws: InputError.self) { try ScopeHarness.read(renamed) }
    }

    @Test func aRuleForAFieldOutsideTheLayoutIsAMappingError() throws {
        let folder = try TemporaryDirectory()
        let path = try folder.write(
            "bad.yaml",
            """
            mapping: bad
            formats: [scope-csv]
            extends: \(RepositoryPaths.mappings.appendingPathComponent("scope/scope-exchange-v1.yaml").path)
            fields:
              - {id: shoe_size, column: SHOES}

            """)
        #expect(throws: MappingError.self) {
            try ScopeHarness.read(ScopeHarness.csv([]), mapping: path)
        }
    }
}
