import Foundation
import PrimesModel
import TestSupport
import Testing

@testable import Adapters

/// The SAX2 fragment parser refuses what `XMLElementStream` refuses, and `XMLFragmentPath` selects what
/// libxml2's XPath selects.
@Suite struct XMLFragmentTests {
    private func firstError(_ text: String, name: String = "input.xml", limits: XMLInputLimits = .standard) -> String {
        firstError(Array(text.utf8), name: name, limits: limits)
    }

    private func firstError(_ bytes: [UInt8], name: String, limits: XMLInputLimits = .standard) -> String {
        do {
            let parser = XMLFragmentParser(source: MemoryInput(bytes, name: name), limits: limits)
            try parser.parse(root: { _, _ in .children }, record: { _ in })
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    // MARK: - Hardening

    @Test func externalEntityIsRefusedAtTheDoctypeAndNothingIsFetched() throws {
        let directory = try TemporaryDirectory()
        let secret = directory.url.appendingPathComponent("secret.txt")
        try "SECRET-MARKER-4711".write(to: secret, atomically: true, encoding: .utf8)
        let document = """
            <?xml version="1.0"?>
            <!DOCTYPE Bundle [
            <!ENTITY leak SYSTEM "file://\(secret.path)">
            ]>
            <Bundle xmlns="http://hl7.org/fhir"><entry><resource>&leak;</resource></entry></Bundle>
            """
        let message = firstError(document)
        // Refused once the DOCTYPE is read whole, on the line that closes it, before any content.
        #expect(message.hasPrefix("input.xml:4:"), "\(message)")
        #expect(message.contains("DTD"))
        #expect(!message.contains("SECRET-MARKER"))
    }

    @Test func billionLaughsIsRefusedWithoutExpansion() {
        var declarations = "<!ENTITY lol0 \"lol\">"
        for level in 1...9 {
            declarations += "\n<!ENTITY lol\(level) \"\(String(repeating: "&lol\(level - 1);", count: 10))\">"
        }
        let message = firstError("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\(declarations)]>\n<lolz>&lol9;</lolz>")
        #expect(message.hasPrefix("input.xml:"))
        #expect(message.contains("DTD") || message.contains("entity"))
    }

    @Test func truncatedDocumentNamesFileAndLine() {
        let message = firstError(
            "<?xml version=\"1.0\"?>\n<Bundle xmlns=\"http://hl7.org/fhir\">\n<entry><resource>\n<Patient>",
            name: "births.xml")
        #expect(message.hasPrefix("births.xml:4:") || message.hasPrefix("births.xml:5:"), "\(message)")
    }

    @Test func nonUTF8InputNamesFileAndLine() {
        var bytes = Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Bundle>\n<entry>".utf8)
        bytes += [0xC3, 0x28, 0xFF]
        bytes += Array("</entry>\n</Bundle>".utf8)
        let message = firstError(bytes, name: "latin.xml")
        #expect(message.hasPrefix("latin.xml:3:"), "\(message)")
        #expect(message.lowercased().contains("utf-8"))
    }

    @Test func limitsAreEnforcedWithTheirOwnMessages() {
        let nested = String(repeating: "<a>", count: 30) + String(repeating: "</a>", count: 30)
        #expect(
            firstError("<root><entry>\(nested)</entry></root>", limits: XMLInputLimits(maximumDepth: 10))
                .contains("nest deeper than 10"))
        let entries = String(repeating: "<entry><v>1</v></entry>", count: 2_000)
        #expect(
            firstError("<root>\(entries)</root>", limits: XMLInputLimits(maximumDocumentBytes: 4_096))
                .contains("exceeds the limit of 4096 bytes"))
        let text = String(repeating: "x", count: 5_000)
        #expect(
            firstError("<root><entry><v>\(text)</v></entry></root>", limits: XMLInputLimits(maximumTextBytes: 1_000))
                .contains("a text node exceeds"))
        #expect(
            firstError("<root><entry v=\"\(text)\"/></root>", limits: XMLInputLimits(maximumTextBytes: 1_000))
                .contains("an attribute value exceeds"))
        #expect(
            firstError("<root><entry><v>\(text)</v></entry></root>", limits: XMLInputLimits(maximumRecordBytes: 1_000))
                .contains("a record exceeds"))
    }

    @Test func emptyInputHasNoRootElement() {
        #expect(firstError("").hasPrefix("input.xml:"))
    }

    // MARK: - Paths

    private static let sample = """
        <Bundle xmlns="http://hl7.org/fhir" xmlns:x="urn:example:x">
          <entry><resource><Patient>
            <id value="p&amp;1"/>
            <extension url="a"><valueString value="first"/></extension>
            <extension url="b"><valueString value="second"/><x:note>kept <![CDATA[as <text>]]> here</x:note></extension>
            <extension url="a"><valueString value="third"/></extension>
            <name><given value="Ada"/><given value="Lovelace"/><family value="Test"/></name>
          </Patient></resource></entry>
          <entry><resource><RelatedPerson><id value="m1"/><!-- a comment --><name><family value="Mother"/></name></RelatedPerson></resource></entry>
        </Bundle>
        """

    /// What each path selects from the record element, as `local name = text`, by libxml2 and by the fragment.
    private func selections(
        _ paths: [String], in sample: String = Self.sample
    ) throws -> [(libxml: [String], fragment: [String])] {
        let namespaces = [("f", "http://hl7.org/fhir"), ("x", "urn:example:x")]

        let stream = try XMLElementStream(source: MemoryInput(sample, name: "sample.xml"))
        _ = try stream.root()
        let document = try XMLRecordDocument(namespaces: namespaces)
        while let child = try stream.nextChild() { try document.append(copyOf: child.node) }

        let names = XMLNameTable()
        let compiled = try paths.map { text in
            try #require(XMLFragmentPath(text, namespaces: namespaces, names: names), "\(text) is in the subset")
        }
        var record = XMLFragment()
        record.appendElement(name: names.number("record", nil), parent: -1, line: 1)
        let parser = XMLFragmentParser(source: MemoryInput(sample, name: "sample.xml"), names: names)
        try parser.parse(root: { _, _ in .children }, record: { record.append($0, under: 0) })
        let source = FragmentRecordSource(fragment: record, names: names.names)

        return try paths.enumerated().map { position, text in
            let expression = try XPathExpression(text)
            let libxml = document.nodes(expression, from: document.root).map {
                "\(xmlNodeLocalName($0)) = \(xmlNodeText($0))"
            }
            let fragment = compiled[position].select(from: 0, in: record).map {
                "\(source.localName($0)) = \(source.text($0))"
            }
            return (libxml, fragment)
        }
    }

    @Test func pathsSelectWhatLibxml2Selects() throws {
        let paths = [
            "f:entry/f:resource/f:Patient | f:entry/f:resource/f:RelatedPerson",
            "f:entry/f:resource/f:RelatedPerson | f:entry/f:resource/f:Patient",
            "f:entry/f:resource/f:Patient/f:id/@value",
            "f:entry/f:resource/f:Patient/f:extension[@url='a']/f:valueString/@value",
            "f:entry/f:resource/f:Patient/f:extension[@url=\"b\"]/x:note",
            "f:entry/f:resource/f:Patient/f:extension[@url = 'b']",
            "f:entry/f:resource/*/f:name/f:given/@value",
            "f:entry/f:resource/*/f:name/f:family/@*",
            "f:entry/f:resource/f:Patient/f:name/f:given/../f:family/@value",
            "f:entry/f:resource/f:Patient/./f:id/@value",
            "f:entry/f:resource/f:Patient/f:extension[@url='missing']",
            "entry/resource",
        ]
        for (path, selected) in zip(paths, try selections(paths)) {
            #expect(selected.libxml == selected.fragment, "\(path)")
        }
        let notes = try selections(["f:entry/f:resource/f:Patient/f:extension/x:note"])
        #expect(notes.first?.fragment == ["note = kept as <text> here"])
    }

    /// Indentation before and after elements is held without nodes of its own; an element mixing text and elements,
    /// and text joining such indentation (an entity, a CDATA section, words), still read as libxml2 reads them.
    @Test func indentationBetweenElementsReadsAsLibxml2ReadsIt() throws {
        let mixed = """
            <Bundle xmlns="http://hl7.org/fhir">
              <entry>
                <note>kept <b>bold</b>
                  <i>it</i>
                  &amp;more<c/>
                  <![CDATA[<raw>]]><d/>
                  tail<e/>
            \t<f/>
                </note>
                <empty>
                </empty>
                <pair><g/>
                </pair>
              </entry>
            </Bundle>
            """
        let paths = ["f:entry", "f:entry/f:note", "f:entry/f:note/*", "f:entry/f:empty", "f:entry/f:pair"]
        let selected = try selections(paths, in: mixed)
        for (path, selected) in zip(paths, selected) {
            #expect(selected.libxml == selected.fragment, "\(path)")
            #expect(!selected.fragment.isEmpty, "\(path)")
        }
    }

    @Test func pathsOutsideTheSubsetAreLeftToLibxml2() {
        let names = XMLNameTable()
        for text in ["//f:id", "/f:Bundle", "f:entry[1]", "count(f:entry)", "f:entry[@url]", "g:unknown", "f:a/@b/f:c"]
        {
            #expect(XMLFragmentPath(text, namespaces: [("f", "http://hl7.org/fhir")], names: names) == nil, "\(text)")
        }
    }

    // MARK: - The two engines

    /// One context for every read, so that both engines stamp the same time of receipt.
    private let context = TestEnvironment.adapters.context(mappingOverride: nil)

    /// One item as read, compared by value (a description would list dictionary members in any order).
    private struct Read: Equatable {
        var location: RecordLocation
        var record: CanonicalRecord?
        var warnings: [FieldIssue] = []
        var kept: [String] = []
        var rejection: [FieldIssue] = []
    }

    private func read(_ bytes: [UInt8], format: String, fragments: Bool) throws -> [Read] {
        let recordFormat = try #require(TestEnvironment.adapters.registry.format(named: format))
        let dialect = try CivilDialect(mapping: try context.mapping(for: recordFormat))
        let reader = try CivilRecordReader(
            source: MemoryInput(bytes, name: "in.xml"), dialect: dialect, context: context, format: format,
            fragments: fragments)
        var items: [Read] = []
        while let item = try reader.next() {
            switch item {
            case .record(let source):
                items.append(
                    Read(
                        location: source.location, record: source.record, warnings: source.warnings,
                        kept: source.keptInExtensions))
            case .rejected(let rejection):
                items.append(Read(location: rejection.location, record: nil, rejection: rejection.issues))
            }
        }
        return items
    }

    /// Documents the fragment engine must read exactly as the libxml2 one, odd ones included.
    private static func documents() throws -> [(String, [UInt8])] {
        var documents: [(String, [UInt8])] = []
        for file in ["births-deaths-marriages.fhir.xml", "unmapped-gender.fhir.xml"] {
            let path = RepositoryPaths.fixture("civil-registration/\(file)")
            documents.append((file, Array(try Data(contentsOf: URL(fileURLWithPath: path)))))
        }
        if let folder = RepositoryPaths.sharedStandards {
            for file in ["fhir_patient-example-newborn.xml", "fhir_relatedperson-example-newborn-mom.xml"] {
                let url = folder.appendingPathComponent("fhir-r4/\(file)")
                if let data = try? Data(contentsOf: url) { documents.append((file, Array(data))) }
            }
        }
        let odd = """
            <Bundle xmlns="http://hl7.org/fhir"><type value="collection"/>
            <entry><fullUrl value="urn:uuid:1"/><resource><Patient><id value="c1"/>
              <identifier><value value="no-type"/></identifier><gender value="female"/></Patient></resource></entry>
            <entry><resource><Patient><id value="c2"/><name><given value="A &amp; B"/><given value="C"/></name>
              <birthDate value="2024-02"/><deceasedDateTime value="2024-03-01T10:00:00Z"/><unknownThing>x</unknownThing>
            </Patient></resource></entry>
            <entry><resource><RelatedPerson><id value="r1"/><relationship><coding><system value="urn:other"/>
              <code value="X"/></coding></relationship></RelatedPerson></resource></entry>
            <entry><resource><Patient><id value="c3"/><birthDate value="2024-02-30"/></Patient></resource></entry>
            <entry><resource><Patient><gender value=""/></Patient></resource></entry>
            <entry><resource><RelatedPerson><id value="r2"/><relationship><coding>
              <system value="http://terminology.hl7.org/CodeSystem/v3-RoleCode"/><code value="NFTH"/></coding>
              </relationship><gender value="male"/></RelatedPerson></resource></entry>
            <entry><resource><RelatedPerson><id value="r3"/><relationship><coding>
              <system value="http://terminology.hl7.org/CodeSystem/v3-RoleCode"/><code value="NMTH"/></coding>
              </relationship></RelatedPerson></resource></entry>
            </Bundle>
            """
        documents.append(("odd bundle", Array(odd.utf8)))
        return documents
    }

    @Test func fragmentsReadEveryDocumentAsLibxml2Does() throws {
        for (name, bytes) in try Self.documents() {
            let libxml = try read(bytes, format: "fhir-r4-xml", fragments: false)
            let fragment = try read(bytes, format: "fhir-r4-xml", fragments: true)
            #expect(!libxml.isEmpty, "\(name)")
            #expect(libxml == fragment, "\(name)")
        }
        let de4a = Array(
            try Data(
                contentsOf: URL(
                    fileURLWithPath: RepositoryPaths.fixture("civil-registration/birth-evidence.de4a.xml"))))
        #expect(
            try read(de4a, format: "de4a-birth-xml", fragments: false)
                == read(de4a, format: "de4a-birth-xml", fragments: true))
    }

    @Test func aMalformedTailFailsAfterTheRecordsBeforeIt() throws {
        let text = """
            <Bundle xmlns="http://hl7.org/fhir"><entry><resource><Patient><id value="a"/></Patient></resource></entry>
            <entry><resource><Patient><id value="b"/></Patient></resource></entry>
            <entry><resource><Patient><id value="c"></Patient></resource></entry></Bundle>
            """
        for fragments in [false, true] {
            #expect(throws: InputError.self) {
                _ = try read(Array(text.utf8), format: "fhir-r4-xml", fragments: fragments)
            }
        }
    }

    @Test func aReaderLeftEarlyStopsItsParsingThread() throws {
        var text = "<Bundle xmlns=\"http://hl7.org/fhir\">"
        for number in 0..<5_000 {
            text += "<entry><resource><Patient><id value=\"p\(number)\"/></Patient></resource></entry>"
        }
        text += "</Bundle>"
        let format = try #require(TestEnvironment.adapters.registry.format(named: "fhir-r4-xml"))
        for _ in 0..<20 {
            let makeReader = try #require(format.makeReader)
            let reader = try makeReader(MemoryInput(text, name: "big.xml"), context)
            guard case .record(let first)? = try reader.next(), case .person(let person) = first.record else {
                Issue.record("the first birth was not read")
                return
            }
            #expect(person.ref == "p0")
        }
    }
}
