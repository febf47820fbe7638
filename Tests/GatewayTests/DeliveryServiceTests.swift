import Adapters
import Foundation
import Gateway
import PrimesLogging
import PrimesModel
import TestSupport
import Testing

/// A partner that answers from a script, counting what it receives by idempotency key.
final class ScriptedPartner: RecordDestination, @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [DeliveryResult]
    private let otherwise: DeliveryResult
    private(set) var received: [String] = []

    init(answers: [DeliveryResult], otherwise: DeliveryResult = .delivered(remoteId: "remote-1")) {
        self.answers = answers
        self.otherwise = otherwise
    }

    func deliver(_ record: CanonicalRecord, context: DeliveryContext) -> DeliveryResult {
        lock.lock()
        defer { lock.unlock() }
        received.append(context.idempotencyKey)
        return answers.isEmpty ? otherwise : answers.removeFirst()
    }

    func answerFromNowOn(_ result: DeliveryResult) {
        lock.lock()
        defer { lock.unlock() }
        answers = [result]
    }
}

@Suite struct DeliveryServiceTests {
    static let quickRetry = RetryPolicy(maxAttempts: 4, initialDelaySeconds: 0, maxDelaySeconds: 0)
    static let everyField = try? DataSharingAgreement(
        name: "all", version: "1",
        fields: ["recordType", "id", "ref", "identifiers", "name", "sex", "birthDate"].map { try FieldPath($0) })

    static func setUp(
        _ folder: TemporaryDirectory, targets: [DeliveryService.Target]
    ) throws -> (Ingestor, DeliveryService) {
        let store = try SQLiteOutboxStore(path: folder.path("outbox.sqlite"))
        let configuration = GatewayConfiguration(
            file: "test", store: .sqlite(path: folder.path("outbox.sqlite")),
            routes: [.init(from: "canonical", to: targets.map(\.name))])
        let logger = Logger(label: "test", style: .json, sink: LogSink { _ in })
        let service = DeliveryService(
            store: store, targets: targets,
            settings: .init(workers: 1, leaseSeconds: 30, claimSize: 16, pauseProbeSeconds: 300),
            logger: logger)
        return (Ingestor(environment: TestEnvironment.adapters, store: store, configuration: configuration), service)
    }

    /// A store and a delivery service for one scripted partner `p` sharing `everyField`, with `fixture`
    /// ingested.
    static func scenario(_ folder: TemporaryDirectory, partner: ScriptedPartner, fixture: String) throws
        -> (Ingestor, DeliveryService, Ingestor.Result)
    {
        let (ingestor, service) = try setUp(
            folder, targets: [.init(name: "p", destination: partner, agreement: everyField, retry: quickRetry)])
        let result = try ingestor.ingest(
            try FileInput(path: RepositoryPaths.fixture(fixture)), format: "canonical", client: "test")
        return (ingestor, service, result)
    }

    /// The sample case-referral agreement and a file sink writing canonical records into `folder/drop`.
    static func caseReferralSink(in folder: TemporaryDirectory) throws -> (DataSharingAgreement, FileDestination) {
        let agreement = try DataSharingAgreement.load(
            path: RepositoryPaths.mappings.appendingPathComponent("agreements/sample-case-referral.yaml").path)
        let sink = try FileDestination(
            directory: folder.path("drop"),
            encoder: PayloadEncoder(formatName: "canonical", environment: TestEnvironment.adapters))
        return (agreement, sink)
    }

    @Test func aRecordWithEveryFieldReachesAFileSinkWithOnlyTheAgreedFields() throws {
        let folder = try TemporaryDirectory()
        let (agreement, sink) = try Self.caseReferralSink(in: folder)
        let (ingestor, service) = try Self.setUp(
            folder, targets: [.init(name: "drop", destination: sink, agreement: agreement, retry: Self.quickRetry)])

        let result = try ingestor.ingest(
            try FileInput(path: RepositoryPaths.fixture("gateway/every-field-person.ndjson")), format: "canonical",
            client: "test")
        #expect(result.accepted == 1)
        try service.drain()

        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path("drop"))
        #expect(files.count == 1)
        let text = try String(contentsOfFile: folder.path("drop/" + (files.first ?? "")), encoding: .utf8)
        guard case .object(let sent) = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else {
            Issue.record("the sink holds a JSON object")
            return
        }
        #expect(
            Set(sent.keys) == [
                "recordType", "id", "identifiers", "name", "sex", "birthDate", "nationalities", "specificNeeds",
                "group",
            ])
        #expect(sent["name"] == .object(["given": "Omnia", "family": "Campus"]))
        #expect(try ingestor.store.batch(result.batch)?.records.first?.deliveries.first?.state == .delivered)
    }

    @Test func aPartnerFailingItsFirstCallsGetsTheRecordOnceAfterRetries() throws {
        let folder = try TemporaryDirectory()
        let partner = ScriptedPartner(answers: [
            .retryable(reason: "HTTP 503", retryAfterSeconds: nil),
            .retryable(reason: "timed out", retryAfterSeconds: 0),
        ])
        let (ingestor, service, result) = try Self.scenario(
            folder, partner: partner, fixture: "canonical/stateless-person.ndjson")
        try service.drain()
        #expect(partner.received.count == 3)
        #expect(Set(partner.received).count == 1)
        let delivery = try #require(try ingestor.store.batch(result.batch)?.records.first?.deliveries.first)
        #expect(delivery.state == .delivered)
        #expect(delivery.attempts == 3)
        #expect(service.metrics.counter("primes_retries_total", [("destination", "p")]) == 2)
    }

    @Test func aRejectedRecordBecomesADeadLetterAndIsDeliveredAfterReplay() throws {
        let folder = try TemporaryDirectory()
        let partner = ScriptedPartner(
            answers: [], otherwise: .permanent(reason: "HTTP 422", details: ["/sex: not allowed"]))
        let (ingestor, service, _) = try Self.scenario(
            folder, partner: partner, fixture: "canonical/stateless-person.ndjson")
        try service.drain()
        let letters = try ingestor.store.deadLetters(limit: 10)
        #expect(letters.count == 1)
        #expect(letters.first?.details == ["/sex: not allowed"])
        #expect(partner.received.count == 1)

        partner.answerFromNowOn(.delivered(remoteId: "case-9"))
        #expect(
            try ingestor.store.replay(deadLetter: try #require(letters.first).id, now: Date().timeIntervalSince1970))
        try service.drain()
        #expect(partner.received.count == 2)
        #expect(try ingestor.store.counts() == [DeliveryCount(destination: "p", state: .delivered, count: 1)])
    }

    @Test func retriesStopAtTheMaximumAndTheDeliveryIsDead() throws {
        let folder = try TemporaryDirectory()
        let partner = ScriptedPartner(answers: [], otherwise: .retryable(reason: "HTTP 500", retryAfterSeconds: nil))
        let (ingestor, service, _) = try Self.scenario(
            folder, partner: partner, fixture: "canonical/stateless-person.ndjson")
        try service.drain()
        #expect(partner.received.count == 4)
        #expect(try ingestor.store.deadLetters(limit: 10).first?.reason.hasPrefix("gave up after 4 attempts") == true)
    }

    @Test func aDestinationWithoutAnAgreementReceivesNothing() throws {
        let folder = try TemporaryDirectory()
        let partner = ScriptedPartner(answers: [])
        let (ingestor, service) = try Self.setUp(
            folder, targets: [.init(name: "p", destination: partner, agreement: nil, retry: Self.quickRetry)])
        _ = try ingestor.ingest(
            try FileInput(path: RepositoryPaths.fixture("canonical/family-of-five.ndjson")), format: "canonical",
            client: "test")
        try service.drain()
        #expect(partner.received.isEmpty)
        #expect(
            try ingestor.store.deadLetters(limit: 100).allSatisfy { $0.reason.hasPrefix("no data-sharing agreement") })
    }

    @Test func anUnchangedRecordIsNotSentAgain() throws {
        let folder = try TemporaryDirectory()
        let partner = ScriptedPartner(answers: [])
        let (ingestor, service) = try Self.setUp(
            folder,
            targets: [.init(name: "p", destination: partner, agreement: Self.everyField, retry: Self.quickRetry)])
        let fixture = RepositoryPaths.fixture("canonical/family-of-five.ndjson")
        let first = try ingestor.ingest(try FileInput(path: fixture), format: "canonical", client: "test")
        try service.drain()
        #expect(partner.received.count == first.accepted)
        let second = try ingestor.ingest(try FileInput(path: fixture), format: "canonical", client: "test")
        try service.drain()
        #expect(second.unchanged == second.accepted)
        #expect(partner.received.count == first.accepted)
    }

    @Test func refusedCredentialsPauseTheDestinationWithoutCountingAnAttempt() throws {
        let folder = try TemporaryDirectory()
        let partner = ScriptedPartner(answers: [], otherwise: .authenticationFailed(reason: "HTTP 401"))
        let (ingestor, service, result) = try Self.scenario(
            folder, partner: partner, fixture: "canonical/family-of-five.ndjson")
        try service.drain()
        #expect(partner.received.count == 1)
        let deliveries = try #require(try ingestor.store.batch(result.batch)).records.flatMap(\.deliveries)
        #expect(deliveries.allSatisfy { $0.state == .queued && $0.attempts == 0 })
    }

    @Test func aPausedDestinationIsProbedOnceItsWaitIsOverAndResumesWhenThePartnerAcceptsAgain() throws {
        let folder = try TemporaryDirectory()
        let partner = ScriptedPartner(answers: [.authenticationFailed(reason: "HTTP 401")])
        let (ingestor, service, result) = try Self.scenario(
            folder, partner: partner, fixture: "canonical/family-of-five.ndjson")
        let start = Date().timeIntervalSince1970

        // Refused: the destination pauses, and nothing more goes to it before its probe is due.
        try service.deliverDue(now: start)
        #expect(partner.received.count == 1)
        try service.deliverDue(now: start + 70)
        #expect(partner.received.count == 1)

        // The probe is accepted: the destination resumes and the rest follows.
        try service.deliverDue(now: start + 310)
        #expect(partner.received.count == 2)
        try service.deliverDue(now: start + 400)
        #expect(partner.received.count == result.accepted + 1)
        let deliveries = try #require(try ingestor.store.batch(result.batch)).records.flatMap(\.deliveries)
        #expect(deliveries.allSatisfy { $0.state == .delivered })
    }

    @Test func aProbeRefusedAgainKeepsTheDestinationPaused() throws {
        let folder = try TemporaryDirectory()
        let partner = ScriptedPartner(answers: [], otherwise: .authenticationFailed(reason: "HTTP 401"))
        let (ingestor, service, _) = try Self.scenario(
            folder, partner: partner, fixture: "canonical/family-of-five.ndjson")
        let start = Date().timeIntervalSince1970
        try service.deliverDue(now: start)
        try service.deliverDue(now: start + 310)
        #expect(partner.received.count == 2)
        // Refused again: the next probe waits its full time from the refusal.
        try service.deliverDue(now: start + 400)
        #expect(partner.received.count == 2)
    }

    @Test func aDestinationWhoseAgreementMakesPseudonymsNeedsItsKeyAndGetsOnlyPseudonyms() throws {
        let folder = try TemporaryDirectory()
        let agreement = try DataSharingAgreementTests.transforming(folder)
        var destination = GatewayConfiguration.Destination(
            name: "drop", kind: "file", directory: folder.path("drop"), format: "canonical",
            agreement: agreement.file)
        var configuration = GatewayConfiguration(
            file: "g.yaml", store: .sqlite(path: folder.path("outbox.sqlite")), destinations: [destination],
            routes: [.init(from: "canonical", to: ["drop"])])
        let logger = Logger(label: "test", style: .json, sink: LogSink { _ in })
        let refused = try #require(throws: ConfigurationError.self) {
            try GatewayRuntime(configuration: configuration, environment: TestEnvironment.adapters, logger: logger)
        }
        #expect(refused.key == "destinations[drop].pseudonymKey")

        destination.pseudonymKey = .file(try folder.write("psn.key", String(repeating: "5e", count: 32)))
        configuration.destinations = [destination]
        let runtime = try GatewayRuntime(
            configuration: configuration, environment: TestEnvironment.adapters, logger: logger)
        _ = try runtime.ingestor.ingest(
            try FileInput(path: RepositoryPaths.fixture("gateway/every-field-person.ndjson")), format: "canonical",
            client: "test")
        try runtime.delivery.drain()
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path("drop"))
        let text = try String(contentsOfFile: folder.path("drop/" + (files.first ?? "")), encoding: .utf8)
        #expect(!text.contains("TST-000000901"))
        #expect(!text.contains("1990-04-12"))
        #expect(text.contains("\"psn-"))
        #expect(text.contains("\"1990\""))
    }

    @Test func theLedgerHasALineForEveryAttemptWrittenBeforeItIsSent() throws {
        let folder = try TemporaryDirectory()
        let partner = ScriptedPartner(answers: [.retryable(reason: "HTTP 503", retryAfterSeconds: 0)])
        let store = try SQLiteOutboxStore(path: folder.path("outbox.sqlite"))
        let ledger = try DisclosureLedger(directory: folder.path("ledger"))
        let service = DeliveryService(
            store: store,
            targets: [.init(name: "p", destination: partner, agreement: Self.everyField, retry: Self.quickRetry)],
            settings: .init(workers: 1), logger: Logger(label: "test", style: .json, sink: LogSink { _ in }),
            ledger: ledger)
        let configuration = GatewayConfiguration(
            file: "test", store: .sqlite(path: folder.path("outbox.sqlite")),
            routes: [.init(from: "canonical", to: ["p"])])
        _ = try Ingestor(environment: TestEnvironment.adapters, store: store, configuration: configuration).ingest(
            try FileInput(path: RepositoryPaths.fixture("canonical/stateless-person.ndjson")), format: "canonical",
            client: "test")
        try service.drain()
        // The refused attempt and the one that got through each have their line.
        #expect(partner.received.count == 2)
        #expect(try DisclosureLedger.verify(path: ledger.path) == .intact(entries: 2))
    }
}
