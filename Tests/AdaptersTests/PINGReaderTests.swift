import Adapters
import Foundation
import PrimesModel
import TestSupport
import Testing

@Suite("PING reader")
struct PINGReaderTests {
    @Test(
        "the shared PING retrieval sample converts with every attribute mapped or kept in extensions",
        .enabled(if: RepositoryPaths.sharedStandards != nil, "needs ../shared/standards beside the repository")
    )
    func sharedSampleAccountsForEveryAttribute() throws {
        let standards = try #require(RepositoryPaths.sharedStandards)
        let path = standards.appendingPathComponent("progres/progres_v4_ping_referral_retrieval_sample.json").path
        let items = try PINGTesting.items(try FileInput(path: path))
        #expect(PINGTesting.rejections(items).isEmpty)

        let raw = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
        let rows = try #require((raw as? [String: Any])?["Data"] as? [[String: Any]])
        let personRecords = PINGTesting.records(items).filter { $0.record.recordType == .person }
        try #require(personRecords.count == rows.count)

        let mapped: Set<String> = [
            "progres_individual.indiv.progres_id", "progres_individual.indiv.progres_givenname",
            "progres_individual.indiv.progres_middlename", "progres_individual.indiv.progres_sex",
            "progres_individual.progres_sexname", "progres_individual.indiv.progres_registrationgroupid",
            "progres_individual.progres_registrationgroupidname",
        ]
        for (row, source) in zip(rows, personRecords) {
            guard case .person(let person) = source.record else { continue }
            let kept = Set(person.extensions["unhcr.progres"]?.keys.map { $0 } ?? [])
            for key in row.keys {
                #expect(mapped.contains(key) || kept.contains(key), "attribute \(key) was dropped")
                #expect(!(mapped.contains(key) && kept.contains(key)), "attribute \(key) both mapped and kept")
            }
            #expect(Set(source.keptInExtensions).isSuperset(of: kept.subtracting(["progres_registrationgroupid"])))
            #expect(person.id == row["progres_individual.indiv.progres_id"] as? String)
            #expect(person.identifier("unhcr.progres.individual") == person.id)
            #expect(person.sex == "female")
            #expect(person.group?.id == row["progres_individual.progres_registrationgroupidname"] as? String)
            #expect(person.provenance?.format == "progres-ping-json")
        }
        let groups = PINGTesting.records(items).filter { $0.record.recordType == .group }
        #expect(
            groups.count
                == Set(rows.compactMap { $0["progres_individual.progres_registrationgroupidname"] as? String }).count)
    }

    @Test("a retrieval page maps option sets, references, languages, specific needs, locations and dates")
    func synthicPageMapsEveryKind() throws {
        let items = try PINGTesting.items(
            try FileInput(path: RepositoryPaths.fixture("progres/ping-retrieval-individuals.json")))
        let persons = PINGTesting.persons(items)
        try #require(persons.count == 3)

        let amina = persons[0]
        #expect(amina.id == "KKM-00012345")
        #expect(amina.name == PersonName(given: "Amina", family: "Testperson", commonlyUsed: "Mina"))
        #expect(amina.birthDate == (try PartialDate(year: 1990, month: 4, day: 17)))
        #expect(amina.sex == "female")
        #expect(amina.maritalStatus == "married")
        #expect(amina.group == GroupMembership(id: "KKM-24-000101", relationshipToFocalPoint: "self"))
        #expect(amina.contacts == [Contact(kind: "phone", value: "+254700000001", primary: true)])
        #expect(amina.countryOfOrigin == "SSD")
        #expect(
            amina.location?.levels == [
                AdminLevel(level: 1, code: "bbbbbbbb-0000-0000-0000-000000000001", name: "Turkana"),
                AdminLevel(level: 2, code: "bbbbbbbb-0000-0000-0000-000000000002", name: "Kakuma"),
                AdminLevel(level: 6, name: "Block 7"),
            ])
        // Two rows of one individual (an outer join on languages) become one person with both languages.
        #expect(amina.languages.map(\.code) == ["dip", "ara"])
        #expect(amina.languages.map(\.read) == ["125080002", "125080000"])
        #expect(amina.specificNeeds == ["WR"])
        let extensions = try #require(amina.extensions["unhcr.progres"])
        #expect(extensions["progres_language.lang.progres_mothertongue"] == .array([125080001, 125080000]))
        #expect(extensions["progres_lpintervention.int.progres_interventionnumber"] == "KKM-24-PRTITV-0000001")
        #expect(extensions["progres_registrationgroupid"] == .object(["Id": "11111111-2222-3333-4444-555555555555"]))

        let deng = persons[1]
        #expect(deng.sex == "male")
        #expect(deng.birthDate?.isoText == "2012-01-05")
        #expect(deng.group?.id == "KKM-24-000101")
        #expect(deng.group?.relationshipToFocalPoint == "child")
        #expect(deng.specificNeeds == ["CR-AF"])
        #expect(deng.name?.middle == nil)

        #expect(persons[2].sex == "unknown")
        #expect(persons[2].group == nil)

        let groups = PINGTesting.records(items).compactMap {
            if case .group(let group) = $0.record { group } else { nil }
        }
        #expect(groups.map(\.id) == ["KKM-24-000101"])
        #expect(groups.first?.identifiers == [Identifier(scheme: "unhcr.progres.group", value: "KKM-24-000101")])
    }

    @Test("an unmapped option set and a malformed date reject the record, name the attribute, quote no value")
    func badValuesRejectTheRecord() throws {
        let items = try PINGTesting.items(
            try FileInput(path: RepositoryPaths.fixture("progres/ping-retrieval-individuals.json")))
        let rejection = try #require(PINGTesting.rejections(items).first)
        #expect(rejection.location.index == 3)
        #expect(rejection.location.description.hasSuffix("ping-retrieval-individuals.json:91#3"))
        let fields = rejection.issues.map(\.field)
        #expect(fields == ["progres_individual.indiv.progres_dateofbirth", "progres_individual.indiv.progres_sex"])
        #expect(rejection.description.contains("\"125080009\" has no mapping in code list progres.sex"))
        #expect(!rejection.description.contains("12/05/1988"))
        // Reading went on after the rejected item.
        #expect(PINGTesting.persons(items).last?.id == "KKM-00012348")
    }

    @Test("a language name that is not an ISO 639-3 inverted name is reported with the code list")
    func unknownLanguageIsReported() throws {
        let document = """
            {"Data": [{"progres_individual.indiv.progres_id": "KKM-00000001",
                       "progres_language.progres_languagecodeid": {"Id": "cccccccc-0000-0000-0000-000000000009",
                                                                   "Name": "Dinka, Nowhere"}}]}
            """
        let items = try PINGTesting.items(MemoryInput(document, name: "page"))
        let rejection = try #require(PINGTesting.rejections(items).first)
        #expect(rejection.issues.first?.rule == "\"Dinka, Nowhere\" has no entry in code list iso-639-3")
    }

    @Test("malformed JSON stops the read with the line, and an ErrorMessage from PING is an input error")
    func malformedDocuments() throws {
        let broken = "{\"Data\": [\n{\"progres_individual.indiv.progres_id\": \"KKM-00000001\"},\n{\"x\": tru}\n]}"
        #expect(
            throws: InputError.malformed(
                RecordLocation(source: "page", line: 3), reason: "not valid JSON: invalid literal")
        ) {
            _ = try PINGTesting.items(MemoryInput(broken, name: "page"))
        }
        let failed = "{\"Data\": [], \"ErrorMessage\": \"something failed\"}"
        #expect(throws: InputError.self) { _ = try PINGTesting.items(MemoryInput(failed, name: "page")) }
        #expect(throws: InputError.self) {
            _ = try PINGTesting.items(MemoryInput("{\"Data\": [] } trailing", name: "p"))
        }
        #expect(throws: InputError.self) { _ = try PINGTesting.items(MemoryInput("", name: "p")) }
    }

    @Test("the envelope's count, transaction and paging summary are read after the Data list")
    func envelopeIsRead() throws {
        let reader = try PINGTesting.reader(
            try FileInput(path: RepositoryPaths.fixture("progres/ping-retrieval-individuals.json")))
        while try reader.next() != nil {}
        #expect(reader.envelope.recordCount == 5)
        #expect(reader.envelope.transactionId == "00000000-aaaa-bbbb-cccc-000000000001")
        #expect(reader.envelope.pageNumber == 1)
        #expect(reader.envelope.moreRecordsAvailable == false)
        #expect(reader.envelope.errorMessage == nil)
    }

    @Test(
        "the published ingestion sample, with its // comments, reads with every field kept",
        .enabled(if: RepositoryPaths.sharedStandards != nil, "needs ../shared/standards beside the repository")
    )
    func ingestionSampleWithComments() throws {
        let standards = try #require(RepositoryPaths.sharedStandards)
        let path = standards.appendingPathComponent("progres/ping_ingestion_status_update_sample.jsonc").path
        let reader = try PINGTesting.reader(try FileInput(path: path))
        var items: [ReadItem] = []
        while let item = try reader.next() { items.append(item) }
        let record = try #require(PINGTesting.records(items).first)
        guard case .person(let person) = record.record else { Issue.record("expected a person"); return }
        #expect(person.ref == "12345")
        #expect(record.keptInExtensions == ["progres_comments", "progres_interoperabilityreferralid"])
        #expect(reader.envelope.shippingProcessId == "SHP-2284")
        #expect(reader.envelope.interopId == "INT-1436")
    }

    @Test("items are streamed: a long page is read one item at a time through a small buffer")
    func longPageStreams() throws {
        let source = GeneratedPage(items: 6_000)
        let reader = try PINGTesting.reader(source)
        var persons = 0
        while let item = try reader.next() {
            if case .record(let record) = item, record.record.recordType == .person { persons += 1 }
            // Bytes are pulled a 64 KiB chunk at a time (under 1,000 items), never the whole page.
            #expect(source.generated - persons <= 2_000)
        }
        #expect(persons == 6_000)
    }
}

/// A retrieval page generated while it is read, so that the test sees how far ahead the reader pulls.
private final class GeneratedPage: ByteSource {
    let name = "generated"
    private let total: Int
    private(set) var generated = 0
    private var pending: [UInt8] = Array("{\"RecordCount\": 0, \"Data\": [".utf8)
    private var closed = false

    init(items: Int) {
        total = items
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while pending.count < buffer.count && !closed {
            if generated == total {
                pending += Array("]}".utf8)
                closed = true
            } else {
                let separator = generated == 0 ? "" : ","
                let id = String(generated).leftPadded(8)
                pending += Array(
                    "\(separator){\"progres_individual.indiv.progres_id\":\"GEN-\(id)\",\"progres_individual.indiv.progres_sex\":125080001}"
                        .utf8)
                generated += 1
            }
        }
        let count = min(buffer.count, pending.count)
        pending.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        pending.removeFirst(count)
        return count
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}

@Suite("PING reader: ingestion payloads")
struct PINGIngestionReadingTests {
    @Test("a field named twice in an ingestion item is mapped once, kept once, and warned about")
    func repeatedFieldIsWarned() throws {
        let payload = """
            {"ShippingProcessId": "S", "InteropId": "I", "Data": [{"ExternalId": "x1", "Attachments": [], "Fields": [
              {"Name": "progres_id", "Value": "KKM-00000001"},
              {"Name": "progres_givenname", "Value": "Abel"},
              {"Name": "progres_givenname", "Value": "Abebe"}]}]}
            """
        let records = PINGTesting.records(try PINGTesting.items(MemoryInput(payload, name: "payload")))
        let record = try #require(records.last)
        guard case .person(let person) = record.record else {
            Issue.record("expected a person")
            return
        }
        #expect(person.name?.given == "Abel")
        #expect(person.ref == "x1")
        #expect(person.extensions["unhcr.progres"]?["progres_givenname"] == "Abebe")
        #expect(record.keptInExtensions == ["progres_givenname"])
        #expect(record.warnings.map(\.field) == ["progres_givenname"])
        #expect(record.warnings.first?.severity == .warning)
    }
}
