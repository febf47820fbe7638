import Adapters
import CLibXML2
import Foundation
import PrimesModel
import TestSupport
import Testing

@Suite("SCOPE XML")
struct SCOPEXMLTests {
    static let schemaPath = RepositoryPaths.mappings.appendingPathComponent("scope/scope-exchange-v1.xsd").path

    /// The problems libxml2 finds validating `document` against the shipped XSD; empty when it is valid.
    static func schemaErrors(_ document: String) throws -> Int32 {
        let parserContext = try #require(xmlSchemaNewParserCtxt(schemaPath))
        defer { xmlSchemaFreeParserCtxt(parserContext) }
        let schema = try #require(xmlSchemaParse(parserContext))
        defer { xmlSchemaFree(schema) }
        let validation = try #require(xmlSchemaNewValidCtxt(schema))
        defer { xmlSchemaFreeValidCtxt(validation) }
        var bytes = Array(document.utf8)
        let parsed = bytes.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                xmlReadMemory($0.baseAddress, Int32($0.count), "scope.xml", "UTF-8", Int32(XML_PARSE_NONET.rawValue))
            }
        }
        let doc = try #require(parsed)
        defer { xmlFreeDoc(doc) }
        return xmlSchemaValidateDoc(validation, doc)
    }

    @Test func writerOutputValidatesAgainstTheXSD() throws {
        let (xml, report) = try ScopeHarness.convert(
            try ScopeHarness.fixtureBytes(), from: "scope-csv", to: "scope-xml")
        #expect(report.rejectedCount == 0)
        #expect(xml.contains("<address>Block 4, \"Green\" gate</address>"))
        #expect(try Self.schemaErrors(xml) == 0)
    }

    @Test func canonicalFixtureWrittenAsXMLValidates() throws {
        let bytes = Array(
            try Data(contentsOf: URL(fileURLWithPath: RepositoryPaths.fixture("canonical/family-of-five.ndjson"))))
        let (xml, report) = try ScopeHarness.convert(bytes, from: "canonical", to: "scope-xml")
        #expect(report.recordsOut == 6)
        #expect(try Self.schemaErrors(xml) == 0)
    }

    @Test func anEmptyConversionIsStillAValidDocument() throws {
        let (xml, _) = try ScopeHarness.convert([], from: "canonical", to: "scope-xml")
        #expect(try Self.schemaErrors(xml) == 0)
    }

    @Test func theXSDRejectsWhatTheLayoutForbids() throws {
        let (xml, _) = try ScopeHarness.convert(try ScopeHarness.fixtureBytes(), from: "scope-csv", to: "scope-xml")
        let broken = xml.replacingOccurrences(of: "<sex>F</sex>", with: "<sex>female</sex>")
        #expect(try Self.schemaErrors(broken) > 0)
    }

    @Test func xmlReadsBackToTheSameRecordsAsTheCSV() throws {
        let csv = try ScopeHarness.fixtureBytes()
        let (xml, _) = try ScopeHarness.convert(csv, from: "scope-csv", to: "scope-xml")
        let fromXML = try ScopeHarness.read(Array(xml.utf8), format: "scope-xml")
        let fromCSV = try ScopeHarness.read(csv)
        #expect(fromXML.allSatisfy { $0.rejection == nil })

        func withoutProvenance(_ items: [ReadItem]) -> [CanonicalRecord] {
            items.compactMap(\.record).map { record in
                switch record {
                case .person(var person):
                    person.provenance = nil
                    return .person(person)
                case .group(var group):
                    group.provenance = nil
                    return .group(group)
                }
            }
        }
        #expect(withoutProvenance(fromXML) == withoutProvenance(fromCSV))
        #expect(fromXML[1].source?.location.xpath == "/ScopeExchange/Household[1]/Member[1]")

        // and XML → CSV gives the fixture back
        let back = try ScopeHarness.convert(Array(xml.utf8), from: "scope-xml", to: "scope-csv")
        #expect(back.output == String(decoding: csv, as: UTF8.self))
    }

    @Test func householdChecksApplyToXMLToo() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ScopeExchange xmlns="urn:primes-gateway:scope-exchange:1" layoutVersion="1">
              <Household>
                <household_id>H-1</household_id><household_name>One</household_name>
                <household_size>1</household_size><location>L</location>
                <Member><beneficiary_unique_id>M-1</beneficiary_unique_id><last_name>F</last_name>
                  <household_role>SPOUSE</household_role></Member>
              </Household>
            </ScopeExchange>
            """
        let items = try ScopeHarness.read(Array(xml.utf8), format: "scope-xml")
        #expect(items.first?.rejection?.issues.first?.rule == "a household needs exactly one HEAD, found 0")
        #expect(items.last?.rejection?.location.xpath == "/ScopeExchange/Household[1]/Member[1]")
    }

    @Test func malformedXMLStopsTheInputNamingTheLine() throws {
        let xml = "<?xml version=\"1.0\"?>\n<ScopeExchange layoutVersion=\"1\">\n<Household>\n</Member>\n"
        let error = #expect(throws: InputError.self) {
            try ScopeHarness.read(Array(xml.utf8), format: "scope-xml")
        }
        #expect(error?.description.hasPrefix("t.csv:4: not well-formed XML") == true)
    }
}
