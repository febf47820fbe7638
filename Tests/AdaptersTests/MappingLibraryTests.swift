import Adapters
import Foundation
import PrimesModel
import TestSupport
import Testing

@Suite("Mapping and code-list files")
struct MappingLibraryTests {
    let folder: TemporaryDirectory
    let library: MappingLibrary

    init() throws {
        folder = try TemporaryDirectory()
        library = MappingLibrary(root: folder.url)
        _ = try folder.write(
            "sex.yaml",
            """
            codeList: partner.sex
            version: "2"
            uri: http://example.org/sex
            aliases: [urn:example:sex]
            canonical: sex
            entries:
              - {code: F, canonical: female}
              - {code: M, canonical: male}
              - {code: W, canonical: female, readOnly: true}
              - {code: U, canonical: unknown}
            """
        )
        _ = try folder.write(
            "base.yaml",
            """
            mapping: partner-base
            version: "1"
            formats: [partner-csv]
            codeLists:
              sex: sex.yaml
            settings:
              delimiter: ","
            fields:
              - {canonical: name.family, column: surname, required: true}
              - {canonical: sex, column: gender, codeList: sex}
            """
        )
        _ = try folder.write(
            "instance.yaml",
            """
            mapping: partner-instance
            extends: base.yaml
            settings:
              delimiter: ";"
            fields:
              - {canonical: name.family, column: family_name}
              - {canonical: name.given, column: first}
            """
        )
    }

    @Test("a code list maps partner codes to canonical codes and back")
    func bothWays() throws {
        let list = try library.codeList("sex.yaml")
        #expect(try list.canonical(for: "F") == "female")
        #expect(try list.canonical(for: "W") == "female")
        #expect(try list.code(for: "female") == "F")
        #expect(list.isKnown(by: "urn:example:sex"))
        #expect(list.version == "2")
    }

    @Test("an unmapped value is an error naming the list, in both directions")
    func unmapped() throws {
        let list = try library.codeList("sex.yaml")
        #expect(throws: MappingError.unmapped(list: "partner.sex", value: "X", direction: .toCanonical)) {
            try list.canonical(for: "X")
        }
        #expect(throws: MappingError.unmapped(list: "partner.sex", value: "other", direction: .fromCanonical)) {
            try list.code(for: "other")
        }
        let message = MappingError.unmapped(list: "partner.sex", value: "X", direction: .toCanonical).description
        #expect(message.contains("partner.sex"))
    }

    @Test("a partner code mapped to two canonical codes is refused when loading")
    func ambiguous() throws {
        _ = try folder.write(
            "bad.yaml",
            "codeList: bad\nentries:\n  - {code: A, canonical: female}\n  - {code: A, canonical: male}\n"
        )
        #expect(throws: MappingError.self) { try library.codeList("bad.yaml") }
    }

    @Test("an instance mapping overrides the rules and settings of the one it extends")
    func extendsOverlay() throws {
        let mapping = try library.load("instance.yaml")
        #expect(mapping.name == "partner-instance")
        #expect(mapping.formats == ["partner-csv"])
        #expect(mapping.setting("delimiter") == ";")
        #expect(mapping.fields.map(\.key) == ["name.family", "sex", "name.given"])
        #expect(try mapping.fields[0].string("column") == "family_name")
        #expect(try mapping.codeList("sex").name == "partner.sex")
    }

    @Test("adapters read their own rule keys through a rule kind")
    func ruleKinds() throws {
        struct ColumnRule: FieldRuleKind {
            let column: String
            let required: Bool
            init(rule: FieldRule, mapping: MappingFile) throws(MappingError) {
                column = try rule.requiredString("column")
                required = try rule.bool("required")
            }
        }
        let rules = try library.load("base.yaml").rules(as: ColumnRule.self)
        #expect(rules.map(\.column) == ["surname", "gender"])
        #expect(rules.map(\.required) == [true, false])
    }

    @Test("a rule with a bad canonical path is reported with its file and line")
    func badRule() throws {
        _ = try folder.write("broken.yaml", "mapping: broken\nfields:\n  - {canonical: 'name..family', column: x}\n")
        #expect {
            try library.load("broken.yaml")
        } throws: { error in
            guard case .invalid(let file, let line, _) = error as? MappingError else { return false }
            return file.hasSuffix("broken.yaml") && line == 3
        }
    }

    @Test("code lists may only target codes the canonical list has")
    func checkTargets() throws {
        _ = try folder.write(
            "odd-sex.yaml", "codeList: odd\ncanonical: sex\nentries:\n  - {code: Q, canonical: queen}\n")
        _ = try folder.write("odd.yaml", "mapping: odd\ncodeLists: {sex: odd-sex.yaml}\n")
        let lists = TestEnvironment.adapters.codeLists
        #expect(throws: MappingError.self) {
            try library.checkTargets(of: try library.load("odd.yaml"), against: lists)
        }
        #expect(throws: Never.self) { try library.checkTargets(of: try library.load("base.yaml"), against: lists) }
    }

    @Test("the repository's canonical code lists load, with the ISO tables from iso-codes")
    func repositoryLists() throws {
        let lists = TestEnvironment.adapters.codeLists
        for name in CanonicalCodeLists.requiredNames { #expect(lists[name] != nil, "missing \(name)") }
        #expect(lists["iso-3166-1-alpha-3"]?.contains("AFG") == true)
        #expect(lists["iso-639-3"]?.entry(where: "inverted_name", is: "Dinka, Northeastern")?.code == "dip")
        #expect(lists["specific-needs"]?.contains("CR-LW") == true)
    }

    @Test(
        "every mapping file in the repository loads and targets real canonical codes",
        .disabled("enabled once the first format mapping lands")
    )
    func repositoryMappings() throws {
        let root = RepositoryPaths.mappings
        let enumerator = try #require(FileManager.default.enumerator(atPath: root.path))
        let library = MappingLibrary(root: root)
        var checked = 0
        for case let path as String in enumerator where path.hasSuffix(".yaml") {
            let text = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
            guard text.contains("\nmapping:") || text.hasPrefix("mapping:") else { continue }
            let mapping = try library.load(path)
            try library.checkTargets(of: mapping, against: TestEnvironment.adapters.codeLists)
            checked += 1
        }
        #expect(checked > 0, "no mapping file found under Mappings/")
    }
}
