import Adapters
import Testing

@Suite("YAML parsing with libyaml")
struct YAMLNodeTests {
    @Test("mappings, sequences and scalars keep their order and lines")
    func parsesTree() throws {
        let text = """
            mapping: sample
            fields:
              - canonical: name.family
                column: last_name
              - {canonical: sex, column: sex}
            """
        let root = try YAMLNode.parse(text, name: "sample.yaml")
        #expect(root["mapping"]?.scalar == "sample")
        let fields = try #require(root["fields"]?.items)
        #expect(fields.count == 2)
        #expect(fields[0]["column"]?.scalar == "last_name")
        #expect(fields[0].line == 3)
        #expect(fields[1]["canonical"]?.scalar == "sex")
        #expect(root.pairs?.map(\.key) == ["mapping", "fields"])
    }

    @Test("a syntax error names the file and line")
    func syntaxError() {
        #expect {
            try YAMLNode.parse("a: [1, 2\nb: c\n", name: "broken.yaml")
        } throws: { error in
            guard case .yaml(let file, let line, _) = error as? MappingError else { return false }
            return file == "broken.yaml" && line >= 1
        }
    }

    @Test("a key given twice is refused")
    func duplicateKey() {
        #expect(throws: MappingError.self) { try YAMLNode.parse("a: 1\na: 2\n", name: "dup.yaml") }
    }

    @Test("anchors and aliases are refused")
    func aliases() {
        #expect(throws: MappingError.self) { try YAMLNode.parse("a: &x 1\nb: *x\n", name: "alias.yaml") }
    }

    @Test("an empty file is an error")
    func empty() {
        #expect(throws: MappingError.self) { try YAMLNode.parse("", name: "empty.yaml") }
    }
}
