import Adapters
import Foundation
import Gateway
import PrimesLogging
import PrimesModel
import TestSupport
import Testing

@testable import Gateway

/// A person whose consent is withdrawn: the news goes to every destination holding the subject, as a notice
/// carrying the subject as each agreement knows it and the consent, and to no one else.
@Suite struct ConsentWithdrawalTests {
    static func person(_ id: String, consent: String? = nil) -> [UInt8] {
        let consentMember = consent.map { #","consent":{"status":"\#($0)","purposes":[]}"# } ?? ""
        return Array(
            (#"{"recordType":"person","id":"\#(id)","name":{"given":"Vera","family":"Retracta"},"sex":"female""#
                + consentMember + "}\n").utf8)
    }

    /// Delivers everything due to `a` and `b`.
    static func deliverAll(_ store: any OutboxStore) throws {
        let now = Date().timeIntervalSince1970
        let claimed = try store.claimDue(limit: 100, lease: 30, now: now + 1)
        try store.complete(claimed.map { DeliveryOutcome(delivery: $0, result: .delivered(remoteId: nil)) }, now: now)
    }

    @Test(arguments: StoreKind.underTest) func aWithdrawalGoesToEveryHolderAndToNoOneElse(kind: StoreKind) throws {
        let outbox = try OutboxUnderTest(kind)
        let store = try outbox.open()
        try OutboxStoreContractTests.enqueue(store, "first", [OutboxStoreContractTests.record("p1", "x")], to: ["a"])
        try OutboxStoreContractTests.enqueue(store, "second", [OutboxStoreContractTests.record("p1", "x")], to: ["b"])
        try Self.deliverAll(store)

        // Routed to c, which never had p1: the withdrawal of p1 goes to a and b, not c; one of a subject no one
        // holds goes nowhere; an ordinary record beside them follows the route.
        var withdrawal = OutboxStoreContractTests.record("p1", "withdrawn")
        withdrawal.isWithdrawal = true
        var unknown = OutboxStoreContractTests.record("p9", "withdrawn")
        unknown.isWithdrawal = true
        try OutboxStoreContractTests.enqueue(
            store, "third", [withdrawal, unknown, OutboxStoreContractTests.record("p2", "x")], to: ["c"])
        let status = try #require(try store.batch("third"))
        // The status lists records by their deliveries: the second has none.
        #expect(status.records.map(\.position) == [0, 2])
        #expect(status.records.map { $0.deliveries.map(\.destination) } == [["a", "b"], ["c"]])
        #expect(status.records.flatMap(\.deliveries).allSatisfy { $0.state == .queued })
    }

    @Test(arguments: StoreKind.underTest) func aPulledWithdrawalIsNotSentBackWhereItCameFrom(kind: StoreKind) throws {
        let outbox = try OutboxUnderTest(kind)
        let store = try outbox.open()
        try OutboxStoreContractTests.enqueue(
            store, "first", [OutboxStoreContractTests.record("p1", "x")], to: ["a", "b"])
        try Self.deliverAll(store)
        var withdrawal = OutboxStoreContractTests.record("p1", "withdrawn")
        withdrawal.isWithdrawal = true
        // Pulled from the system destination b stands for.
        _ = try store.enqueue(
            NewBatch(
                id: "pulled", client: "sync:b", sourceFormat: "canonical", records: [withdrawal], destinations: [],
                origins: ["b"]))
        #expect(try store.batch("pulled")?.records.first?.deliveries.map(\.destination) == ["a"])
    }

    @Test func theNoticeCarriesTheSubjectAsTheAgreementKnowsItAndTheConsentOnly() throws {
        let folder = try TemporaryDirectory()
        let (agreement, sink) = try DeliveryServiceTests.caseReferralSink(in: folder)
        let store = try SQLiteOutboxStore(path: folder.path("outbox.sqlite"))
        let ledger = try DisclosureLedger(directory: folder.path("ledger"))
        let service = DeliveryService(
            store: store,
            targets: [
                .init(name: "drop", destination: sink, agreement: agreement, retry: DeliveryServiceTests.quickRetry)
            ],
            settings: .init(workers: 1), logger: Logger(label: "test", style: .json, sink: LogSink { _ in }),
            ledger: ledger)
        let ingestor = Ingestor(
            environment: TestEnvironment.adapters, store: store,
            configuration: GatewayConfiguration(
                file: "test", store: .sqlite(path: folder.path("outbox.sqlite")),
                routes: [.init(from: "canonical", to: ["drop"])]))

        _ = try ingestor.ingest(MemoryInput(Self.person("TST-000000501")), format: "canonical", client: "test")
        try service.drain()
        let withdrawn = try ingestor.ingest(
            MemoryInput(
                Self.person("TST-000000501", consent: "withdrawn") + Self.person("TST-000000502", consent: "withdrawn")),
            format: "canonical", client: "test")
        #expect(withdrawn.accepted == 2)
        try service.drain()

        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path("drop"))
        #expect(files.count == 2)
        let notices = try files.map { try String(contentsOfFile: folder.path("drop/" + $0), encoding: .utf8) }
            .filter { $0.contains("withdrawn") }
        #expect(notices.count == 1)
        guard
            case .object(let notice) = try JSONDecoder().decode(JSONValue.self, from: Data((notices.first ?? "").utf8))
        else {
            Issue.record("the notice is a JSON object")
            return
        }
        #expect(Set(notice.keys) == ["recordType", "id", "consent"])
        #expect(notice["id"] == .string("TST-000000501"))
        // The ledger's last line is the notice's: it disclosed the subject's id and the consent, nothing more.
        let last = try #require(try String(contentsOfFile: ledger.path, encoding: .utf8).split(separator: "\n").last)
        let entry = try JSONDecoder().decode(DisclosureLedger.Entry.self, from: Data(last.utf8))
        #expect(entry.fields == ["id", "consent"])
    }

    @Test func aDestinationWhoseFormatCannotSayItGetsADeadLetterForSomeoneToAct() throws {
        let folder = try TemporaryDirectory()
        let partner = ScriptedPartner(answers: [])
        let (ingestor, service) = try DeliveryServiceTests.setUp(
            folder,
            targets: [
                .init(
                    name: "scope", destination: partner, agreement: DeliveryServiceTests.everyField,
                    retry: DeliveryServiceTests.quickRetry, carriesConsent: false)
            ])
        _ = try ingestor.ingest(MemoryInput(Self.person("TST-000000601")), format: "canonical", client: "test")
        try service.drain()
        _ = try ingestor.ingest(
            MemoryInput(Self.person("TST-000000601", consent: "withdrawn")), format: "canonical", client: "test")
        try service.drain()
        #expect(partner.received.count == 1)
        let letters = try ingestor.store.deadLetters(limit: 10)
        #expect(letters.map(\.destination) == ["scope"])
        #expect(letters.first?.reason.hasPrefix("consent withdrawn") == true)
    }

    @Test func aNoticeAgreementKeepsTheIdentityAndItsPseudonymsAndAddsTheConsent() throws {
        let agreement = DataSharingAgreement(
            name: "registry", version: "2",
            fields: try ["id", "identifiers", "name", "birthDate"].map { try FieldPath($0) },
            transformations: [
                .init(field: try FieldPath("id"), kind: .pseudonym),
                .init(field: try FieldPath("birthDate"), kind: .year),
            ])
        let notice = agreement.withdrawalNotice
        #expect(notice.fields.map(\.description) == ["id", "identifiers", "consent"])
        #expect(notice.transformations.map(\.field.description) == ["id"])
        #expect(notice.name == "registry" && notice.version == "2")
    }

    @Test func onlyAPersonWithAKeyAndAWithdrawnConsentIsAWithdrawal() {
        var person = Person(id: "TST-1", consent: Consent(status: "withdrawn"))
        #expect(CanonicalRecord.person(person).isConsentWithdrawal)
        person.consent = Consent(status: "granted")
        #expect(!CanonicalRecord.person(person).isConsentWithdrawal)
        #expect(!CanonicalRecord.person(Person(consent: Consent(status: "withdrawn"))).isConsentWithdrawal)
    }
}
