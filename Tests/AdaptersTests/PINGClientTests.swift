import Adapters
import Foundation
import PrimesModel
import TestSupport
import Testing

@Suite("PING client against the simulator", .serialized)
struct PINGClientTests {
    static func configuration(_ simulator: PINGSimulator, token: String = PINGSimulator.token) throws
        -> PINGConfiguration
    {
        var configuration = PINGConfiguration(
            baseURL: simulator.baseURL, token: token, partnerId: PINGSimulator.partnerId,
            shippingProcessId: "SHP-1", interopId: "INT-1")
        configuration.caCertificatePath = try TestCertificates.shared().caCertificate
        configuration.timeoutSeconds = 10
        return configuration
    }

    static func row(_ id: String, sex: Int = 125_080_001) -> JSONValue {
        .object([
            "progres_individual.indiv.progres_id": .string(id),
            "progres_individual.indiv.progres_sex": .number(Double(sex)),
            "progres_individual.indiv.progres_registrationgroupid": "11111111-2222-3333-4444-555555555555",
            "progres_individual.progres_registrationgroupidname": "KKM-24-000101",
        ])
    }

    static func readAll(_ reader: any RecordReader) throws -> [ReadItem] {
        var items: [ReadItem] = []
        while let item = try reader.next() { items.append(item) }
        return items
    }

    @Test("retrieval follows the paging cookie to the last page, with the bearer token enforced")
    func retrievalFollowsPaging() throws {
        let simulator = try PINGSimulator()
        simulator.configure { behaviour in
            behaviour.pages = [
                [Self.row("KKM-00000001"), Self.row("KKM-00000002")], [Self.row("KKM-00000003")],
                [Self.row("KKM-00000004", sex: 125_080_000)],
            ]
        }
        let client = PINGClient(configuration: try Self.configuration(simulator))
        let retrieval = client.retrieval(mapping: PINGTesting.mapping, codeLists: TestEnvironment.adapters.codeLists)
        let items = try Self.readAll(retrieval)

        #expect(
            PINGTesting.persons(items).map(\.id) == ["KKM-00000001", "KKM-00000002", "KKM-00000003", "KKM-00000004"])
        #expect(PINGTesting.persons(items).last?.sex == "female")
        #expect(retrieval.pagesFetched == 3)
        #expect(retrieval.transactionIds == ["sim-transaction-1", "sim-transaction-2", "sim-transaction-3"])
        let requests = simulator.retrievalRequests
        #expect(requests.map { FieldPath.value("PageNumber", in: $0) } == ["1", "2", "3"])
        #expect(requests.map { FieldPath.value("PagingCookie", in: $0) } == [nil, "cookie-1", "cookie-2"])
        #expect(requests.first.map { FieldPath.value("APIVersion", in: $0) } == "V3")
    }

    @Test("a wrong token is an authentication failure, for retrieval and for ingestion")
    func wrongTokenIsRefused() throws {
        let simulator = try PINGSimulator()
        simulator.configure { $0.pages = [[Self.row("KKM-00000001")]] }
        let client = PINGClient(configuration: try Self.configuration(simulator, token: "not-the-token"))
        let retrieval = client.retrieval(mapping: PINGTesting.mapping, codeLists: TestEnvironment.adapters.codeLists)
        #expect(throws: PINGClientError.authenticationFailed(status: 401, reason: "retrieval refused")) {
            _ = try Self.readAll(retrieval)
        }
        let results = client.ingest(
            [PINGWriterTests.fullPerson, PINGWriterTests.fullPerson], encoder: try Self.encoder())
        #expect(results.allSatisfy { if case .authenticationFailed = $0 { true } else { false } })
        #expect(simulator.ingestedItems.isEmpty)
        #expect(simulator.refusedRequests == 2)
    }

    @Test("a malformed page stops the retrieval with the page named")
    func malformedPageIsReported() throws {
        let simulator = try PINGSimulator()
        simulator.configure { behaviour in
            behaviour.pages = [[Self.row("KKM-00000001")], [Self.row("KKM-00000002")]]
            behaviour.malformedPage = 2
        }
        let client = PINGClient(configuration: try Self.configuration(simulator))
        let retrieval = client.retrieval(mapping: PINGTesting.mapping, codeLists: TestEnvironment.adapters.codeLists)
        var persons: [String] = []
        let error = #expect(throws: PINGClientError.self) {
            while let item = try retrieval.next() {
                if case .record(let record) = item, case .person(let person) = record.record {
                    persons.append(person.id ?? "")
                }
            }
        }
        #expect(persons == ["KKM-00000001"])
        guard case .malformedPage(let page, _)? = error else {
            Issue.record("expected a malformed page, got \(String(describing: error))")
            return
        }
        #expect(page == 2)
    }

    @Test("a server whose paging cookie never changes is stopped, not followed forever")
    func stalledPagingStops() throws {
        let simulator = try PINGSimulator()
        simulator.configure { behaviour in
            behaviour.pages = [[Self.row("KKM-00000001")], [Self.row("KKM-00000002")], [Self.row("KKM-00000003")]]
            behaviour.repeatCookie = true
        }
        let client = PINGClient(configuration: try Self.configuration(simulator))
        let retrieval = client.retrieval(mapping: PINGTesting.mapping, codeLists: TestEnvironment.adapters.codeLists)
        #expect(throws: PINGClientError.pagingDidNotAdvance(page: 2)) { _ = try Self.readAll(retrieval) }
    }

    @Test("ingestion goes in batches of the configured size, and every person gets a result")
    func ingestionInBatches() throws {
        let simulator = try PINGSimulator()
        var configuration = try Self.configuration(simulator)
        configuration.batchSize = 2
        let client = PINGClient(configuration: configuration)
        var persons: [Person] = []
        for number in 1...5 {
            var person = PINGWriterTests.fullPerson
            person.id = "KKM-0000000\(number)"
            person.ref = "person-\(number)"
            persons.append(person)
        }
        var unwritable = persons[2]
        unwritable.languages = [LanguageSkill(code: "zzz")]
        persons[2] = unwritable

        let results = client.ingest(persons, encoder: try Self.encoder())
        #expect(results.count == 5)
        #expect(results.filter { $0 == .delivered(remoteId: nil) }.count == 4)
        guard case .permanent(_, let details) = results[2] else {
            Issue.record("expected the unwritable person to be refused")
            return
        }
        #expect(details == ["ping-ingestion#2: languages[0].code: \"zzz\" has no entry in code list iso-639-3"])
        #expect(simulator.ingestedItems.count == 4)
        #expect(
            simulator.ingestedItems.map { FieldPath.value("ExternalId", in: $0) } == [
                "person-1", "person-2", "person-4", "person-5",
            ])
    }

    @Test("ingestion answers become typed results: retryable with the wait, permanent with the reason")
    func ingestionOutcomes() throws {
        let simulator = try PINGSimulator()
        let client = PINGClient(configuration: try Self.configuration(simulator))
        let destination = PINGDestination(client: client, encoder: try Self.encoder())
        let context = DeliveryContext(idempotencyKey: "k1")

        simulator.configure { behaviour in
            behaviour.ingestionStatus = 503
            behaviour.retryAfterSeconds = 7
        }
        #expect(
            destination.deliver(.person(PINGWriterTests.fullPerson), context: context)
                == .retryable(reason: "PING answered HTTP 503", retryAfterSeconds: 7))

        simulator.configure { behaviour in
            behaviour.ingestionStatus = 422
            behaviour.retryAfterSeconds = nil
        }
        #expect(
            destination.deliver(.person(PINGWriterTests.fullPerson), context: context)
                == .permanent(reason: "PING refused the batch (HTTP 422)", details: ["simulated failure"]))

        simulator.configure { $0.ingestionStatus = nil }
        #expect(destination.deliver(.person(PINGWriterTests.fullPerson), context: context) == .delivered(remoteId: nil))
        #expect(simulator.ingestedItems.count == 1)
    }

    @Test("a status update sends the key field and the changed fields as one ingestion item")
    func statusUpdate() throws {
        let simulator = try PINGSimulator()
        let client = PINGClient(configuration: try Self.configuration(simulator))
        let result = client.updateStatus(
            externalId: "12345",
            key: ("progres_interoperabilityreferralid", "2785b477-767d-4814-949a-be8e0990bcc8"),
            changes: [("progres_comments", "accepted by the partner")])
        #expect(result == .delivered(remoteId: nil))
        let item = try #require(simulator.ingestedItems.first)
        #expect(FieldPath.value("Fields[0].Name", in: item) == "progres_interoperabilityreferralid")
        #expect(FieldPath.value("Fields[1].Name", in: item) == "progres_comments")
        #expect(FieldPath.value("Fields[1].Value", in: item) == "accepted by the partner")
    }

    @Test("a partial update sends the key and the changed fields only, and nothing when PING holds none of them")
    func partialUpdate() throws {
        let simulator = try PINGSimulator()
        let destination = PINGDestination(
            client: PINGClient(configuration: try Self.configuration(simulator)), encoder: try Self.encoder())
        let person = PINGWriterTests.fullPerson
        let update = DeliveryContext(idempotencyKey: "k1", changedFields: ["contacts", "specificNeeds"])
        #expect(destination.deliver(.person(person), context: update) == .delivered(remoteId: nil))
        let item = try #require(simulator.ingestedItems.first)
        let names = Self.fieldNames(item)
        #expect(names.first == "progres_id")
        #expect(names.contains("progres_primaryphonenumber"))
        #expect(names.contains("progres_specificneed.progres_spncategory2"))
        #expect(!names.contains("progres_givenname"), "an unchanged field was sent: \(names)")
        #expect(!names.contains("progres_sex"))

        // The whole record, for comparison: every field the mapping writes.
        let whole = DeliveryContext(idempotencyKey: "k2")
        #expect(destination.deliver(.person(person), context: whole) == .delivered(remoteId: nil))
        #expect(Self.fieldNames(simulator.ingestedItems[1]).contains("progres_givenname"))

        // A change PING holds nothing of (marital status is read-only in the mapping) sends nothing.
        let notHeld = DeliveryContext(idempotencyKey: "k3", changedFields: ["maritalStatus"])
        #expect(destination.deliver(.person(person), context: notHeld) == .unchanged(remoteId: nil))
        #expect(simulator.ingestedItems.count == 2)

        // What a partial update leaves PING holding: the key and the changed fields.
        let view = try #require(destination.heldView(of: .person(person), context: update))
        guard case .person(let held) = view else { throw PINGTestFailure.notAPerson }
        #expect(held.id == person.id)
        #expect(held.contacts == person.contacts)
        #expect(held.specificNeeds == person.specificNeeds)
        #expect(held.name == nil)
        #expect(held.sex == nil)
    }

    static func fieldNames(_ item: JSONValue) -> [String] {
        guard case .object(let object) = item, case .array(let fields)? = object["Fields"] else { return [] }
        return fields.compactMap { field in
            guard case .object(let pair) = field else { return nil }
            return pair["Name"]?.scalarText
        }
    }

    @Test("with mutual TLS enforced, the client certificate opens the door and its absence is refused")
    func mutualTLS() throws {
        let simulator = try PINGSimulator(requireClientCertificate: true)
        simulator.configure { $0.pages = [[Self.row("KKM-00000001")]] }
        let certificates = try TestCertificates.shared()

        let without = PINGClient(configuration: try Self.configuration(simulator))
        let refused = without.retrieval(mapping: PINGTesting.mapping, codeLists: TestEnvironment.adapters.codeLists)
        let error = #expect(throws: PINGClientError.self) { _ = try Self.readAll(refused) }
        #expect(error.map { if case .authenticationFailed = $0 { true } else { false } } == true)
        let ingestion = without.ingest([PINGWriterTests.fullPerson], encoder: try Self.encoder())
        #expect(ingestion.allSatisfy { if case .authenticationFailed = $0 { true } else { false } })

        var configuration = try Self.configuration(simulator)
        configuration.clientCertificatePath = certificates.clientCertificate
        configuration.clientKeyPath = certificates.clientKey
        let with = PINGClient(configuration: configuration)
        let items = try Self.readAll(
            with.retrieval(mapping: PINGTesting.mapping, codeLists: TestEnvironment.adapters.codeLists))
        #expect(PINGTesting.persons(items).map(\.id) == ["KKM-00000001"])
        #expect(with.ingest([PINGWriterTests.fullPerson], encoder: try Self.encoder()) == [.delivered(remoteId: nil)])
    }

    static func encoder() throws -> PINGIngestionEncoder {
        try PINGIngestionEncoder(mapping: PINGTesting.mapping, codeLists: TestEnvironment.adapters.codeLists)
    }
}

extension FieldPath {
    /// The text at `path` in `value`, for reading simulator captures.
    fileprivate static func value(_ path: String, in value: JSONValue) -> String? {
        (try? FieldPath(path))?.value(in: value)?.scalarText
    }
}

enum PINGTestFailure: Error {
    case notAPerson
}
