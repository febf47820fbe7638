import Adapters
import Foundation
import PrimesModel
import TestSupport
import Testing

@Suite("PING mapping file")
struct PINGMappingTests {
    @Test("ping-v3's code lists map only onto real canonical codes, and every rule reads")
    func mappingIsSound() throws {
        let library = TestEnvironment.adapters.mappings
        let mapping = PINGTesting.mapping
        try library.checkTargets(of: mapping, against: TestEnvironment.adapters.codeLists)
        let rules = try mapping.rules(as: PINGFieldRule.self)
        #expect(rules.filter { $0.type == .locationLevel }.compactMap(\.level) == [1, 2, 3, 4, 5, 6])
        #expect(Set(rules.compactMap(\.field)).count == rules.compactMap(\.field).count, "an ingestion field twice")
    }

    @Test(
        "every proGres sex code of the shared option-set table has an entry",
        .enabled(if: RepositoryPaths.sharedStandards != nil))
    func sexOptionSetIsComplete() throws {
        let standards = try #require(RepositoryPaths.sharedStandards)
        let table = try String(
            contentsOf: standards.appendingPathComponent("progres/progres_v4_sex_optionset.csv"), encoding: .utf8)
        let list = try PINGTesting.mapping.codeList("sex")
        for line in table.split(separator: "\n").dropFirst() {
            let columns = line.split(separator: ",")
            let canonical = try list.canonical(for: String(columns[0]))
            #expect(canonical == columns[1].lowercased())
        }
    }

    @Test("a rule with an unknown type or a missing level is refused with the file and line")
    func badRulesAreRefused() throws {
        let folder = try TemporaryDirectory()
        for (rule, reason) in [
            ("{canonical: name.given, attribute: progres_givenname, type: fancy}", "unknown type fancy"),
            ("{id: level, attribute: progres_coalocationlevel9, type: locationLevel}", "needs `level`"),
        ] {
            let path = try folder.write(
                "bad-\(reason.count).yaml",
                "mapping: bad\nversion: \"1\"\nformats: [progres-ping-json]\nfields:\n  - \(rule)\n")
            let mapping = try TestEnvironment.adapters.mappings.load(path)
            #expect {
                _ = try mapping.rules(as: PINGFieldRule.self)
            } throws: { error in
                "\(error)".contains(reason) && "\(error)".contains("bad-\(reason.count).yaml:5")
            }
        }
    }
}
