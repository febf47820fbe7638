import Foundation
import TestSupport
import Testing

@testable import Gateway

/// The storage protocol's promises, held by every store: each test runs on SQLite and, when the test run has
/// a server, on PostgreSQL.
@Suite struct OutboxStoreContractTests {
    static func record(_ key: String, _ content: String) -> NewRecord {
        let payload = Array("{\"recordType\":\"person\",\"id\":\"\(key)\",\"sex\":\"\(content)\"}".utf8)
        return NewRecord(key: key, contentHash: content + "-" + key, payload: payload)
    }

    /// Stores batch `id` of `records` (one by default) for `destinations` in `store`.
    static func enqueue(
        _ store: any OutboxStore, _ id: String = "b1", _ records: [NewRecord] = [record("p1", "x")],
        to destinations: [String] = ["a"]
    ) throws {
        _ = try store.enqueue(
            NewBatch(id: id, client: "c", sourceFormat: "canonical", records: records, destinations: destinations))
    }

    @Test(arguments: StoreKind.underTest) func storesABatchWithOneDeliveryPerDestination(kind: StoreKind) throws {
        let outbox = try OutboxUnderTest(kind)
        let store = try outbox.open()
        let summary = try store.enqueue(
            NewBatch(
                id: "b1", client: "office", sourceFormat: "canonical",
                records: [Self.record("p1", "female"), Self.record("p2", "male")], rejectedCount: 1,
                destinations: ["a", "b"]))
        #expect(summary == BatchSummary(batch: "b1", accepted: 2, unchanged: 0))
        let status = try #require(try store.batch("b1"))
        #expect(status.accepted == 2)
        #expect(status.rejected == 1)
        #expect(status.records.map(\.deliveries.count) == [2, 2])
        #expect(status.records.flatMap(\.deliveries).allSatisfy { $0.state == .queued })
        #expect(try store.batch("missing") == nil)
    }

    @Test(arguments: StoreKind.underTest) func survivesReopening(kind: StoreKind) throws {
        let outbox = try OutboxUnderTest(kind)
        do {
            let store = try outbox.open()
            _ = try store.enqueue(
                NewBatch(
                    id: "b1", client: "c", sourceFormat: "canonical", records: [Self.record("p1", "x")],
                    destinations: ["a"]))
        }
        let reopened = try outbox.open()
        #expect(try reopened.counts() == [DeliveryCount(destination: "a", state: .queued, count: 1)])
    }

    @Test(arguments: StoreKind.underTest) func aClaimIsALeaseThatAnotherWorkerTakesOverWhenItRunsOut(kind: StoreKind)
        throws
    {
        let outbox = try OutboxUnderTest(kind)
        let store = try outbox.open()
        try Self.enqueue(store)
        let now = Date().timeIntervalSince1970
        let first = try store.claimDue(limit: 10, lease: 30, now: now)
        #expect(first.map(\.attempt) == [1])
        #expect(try store.claimDue(limit: 10, lease: 30, now: now + 1).isEmpty)
        let second = try store.claimDue(limit: 10, lease: 30, now: now + 31)
        #expect(second.map(\.attempt) == [2])
        #expect(second.first?.idempotencyKey == first.first?.idempotencyKey)
    }

    @Test(arguments: StoreKind.underTest) func anUnchangedRecordIsNotQueuedAgainForADestinationThatHasIt(
        kind: StoreKind
    ) throws {
        let outbox = try OutboxUnderTest(kind)
        let store = try outbox.open()
        try Self.enqueue(store)
        let now = Date().timeIntervalSince1970
        let claimed = try store.claimDue(limit: 10, lease: 30, now: now)
        try store.complete(
            claimed.map { DeliveryOutcome(delivery: $0, result: .delivered(remoteId: "remote-1")) }, now: now)

        let again = try store.enqueue(
            NewBatch(
                id: "b2", client: "c", sourceFormat: "canonical",
                records: [Self.record("p1", "x"), Self.record("p1", "y")],
                destinations: ["a"]))
        #expect(again.unchanged == 1)
        let due = try store.claimDue(limit: 10, lease: 30, now: now + 1)
        #expect(due.count == 1)
        #expect(due.first?.remoteId == "remote-1")
        #expect(due.first?.heldContentHash == "x-p1")
        #expect(due.first?.contentHash == "y-p1")
        #expect(try store.batch("b2")?.records.first?.deliveries.first?.unchanged == true)
    }

    @Test(arguments: StoreKind.underTest) func aDeadLetterIsReplayedWithItsAttemptsReset(kind: StoreKind) throws {
        let outbox = try OutboxUnderTest(kind)
        let store = try outbox.open()
        try Self.enqueue(store)
        let now = Date().timeIntervalSince1970
        let claimed = try store.claimDue(limit: 10, lease: 30, now: now)
        try store.complete(
            claimed.map { DeliveryOutcome(delivery: $0, result: .dead(reason: "HTTP 422", details: ["/sex: bad"])) },
            now: now)
        let letters = try store.deadLetters(limit: 10)
        #expect(letters.map(\.reason) == ["HTTP 422"])
        #expect(letters.first?.details == ["/sex: bad"])
        #expect(letters.first?.batch == "b1")
        #expect(try store.claimDue(limit: 10, lease: 30, now: now + 100).isEmpty)

        let letter = try #require(letters.first)
        #expect(try store.replay(deadLetter: letter.id, now: now + 1))
        #expect(try !store.replay(deadLetter: letter.id, now: now + 1))
        #expect(try store.deadLetters(limit: 10).isEmpty)
        #expect(try store.claimDue(limit: 10, lease: 30, now: now + 2).map(\.attempt) == [1])
    }

    @Test(arguments: StoreKind.underTest) func onlyPayloadsEveryDestinationHasAreErasedAndStatusStays(
        kind: StoreKind
    ) throws {
        let outbox = try OutboxUnderTest(kind)
        let store = try outbox.open()
        try Self.enqueue(store, "b1", ["p1", "p2", "p3"].map { Self.record($0, "x") })
        let now = Date().timeIntervalSince1970
        let claimed = try store.claimDue(limit: 10, lease: 30, now: now)
        let outcomes = claimed.map { claim -> DeliveryOutcome in
            switch claim.recordKey {
            case "p1": DeliveryOutcome(delivery: claim, result: .delivered(remoteId: nil))
            case "p2": DeliveryOutcome(delivery: claim, result: .dead(reason: "HTTP 422", details: []))
            default: DeliveryOutcome(delivery: claim, result: .retry(reason: "HTTP 503", nextAttempt: now + 600))
            }
        }
        try store.complete(outcomes, now: now)

        // Not yet old enough, then old enough: only the delivered record loses its payload, once.
        #expect(try store.erasePayloads(receivedBefore: now - 60) == 0)
        #expect(try store.erasePayloads(receivedBefore: now + 60) == 1)
        #expect(try store.erasePayloads(receivedBefore: now + 60) == 0)
        #expect(try outbox.storedPayloads().map(\.isEmpty) == [true, false, false])
        let status = try #require(try store.batch("b1"))
        #expect(status.records.flatMap(\.deliveries).map(\.state) == [.delivered, .dead, .failed])

        // The dead letter, replayed, still has its record to send.
        let letter = try #require(try store.deadLetters(limit: 10).first)
        #expect(try store.replay(deadLetter: letter.id, now: now))
        let replayed = try store.claimDue(limit: 10, lease: 30, now: now + 1)
        #expect(replayed.map(\.recordKey) == ["p2"])
        #expect(replayed.first?.payload == Self.record("p2", "x").payload)
    }

    /// More records than SQLite empties in one transaction: each chunk is found and emptied in turn.
    @Test(arguments: StoreKind.underTest) func payloadsAreErasedBeyondOneChunk(kind: StoreKind) throws {
        let outbox = try OutboxUnderTest(kind)
        let store = try outbox.open()
        let count = SQLiteOutboxStore.eraseChunk + 5
        try Self.enqueue(store, "big", (0..<count).map { Self.record("p\($0)", "x") }, to: [])
        let now = Date().timeIntervalSince1970
        #expect(try store.erasePayloads(receivedBefore: now + 60) == count)
        #expect(try outbox.storedPayloads().allSatisfy(\.isEmpty))
        #expect(try store.erasePayloads(receivedBefore: now + 60) == 0)
    }

    /// Old batches go whole once every destination has them, whatever happened on the way (a dead letter
    /// replayed); a batch still waiting or dead, and a recent one, stay; the crosswalk stays for them all.
    @Test(arguments: StoreKind.underTest) func onlyOldBatchesEveryDestinationHasArePruned(kind: StoreKind) throws {
        let outbox = try OutboxUnderTest(kind)
        let store = try outbox.open()
        func settle(_ result: (ClaimedDelivery) -> DeliveryOutcome.Result) throws {
            let now = Date().timeIntervalSince1970
            let claimed = try store.claimDue(limit: 10, lease: 30, now: now + 1)
            try store.complete(claimed.map { DeliveryOutcome(delivery: $0, result: result($0)) }, now: now)
        }
        try Self.enqueue(store, "delivered", [Self.record("p1", "x"), Self.record("p2", "y")])
        try settle { _ in .delivered(remoteId: nil) }
        try Self.enqueue(store, "replayed", [Self.record("p3", "x")])
        try settle { _ in .dead(reason: "HTTP 422", details: []) }
        let letter = try #require(try store.deadLetters(limit: 10).first)
        #expect(try store.replay(deadLetter: letter.id, now: Date().timeIntervalSince1970))
        try settle { _ in .delivered(remoteId: nil) }
        try Self.enqueue(store, "dead", [Self.record("p4", "x")])
        try settle { _ in .dead(reason: "HTTP 422", details: []) }
        try Self.enqueue(store, "waiting", [Self.record("p5", "x")])
        try settle { _ in .retry(reason: "HTTP 503", nextAttempt: Date().timeIntervalSince1970 + 600) }
        try Self.enqueue(store, "unrouted", [Self.record("p6", "x")], to: [])
        let cutoff = Date().timeIntervalSince1970 + 0.001
        Thread.sleep(forTimeInterval: 0.02)
        try Self.enqueue(store, "recent", [Self.record("p7", "x")])
        try settle { _ in .delivered(remoteId: nil) }

        // In chunks of two: three batches are due.
        #expect(try store.pruneBatches(receivedBefore: cutoff, limit: 2) == 2)
        #expect(try store.pruneBatches(receivedBefore: cutoff, limit: 2) == 1)
        #expect(try store.pruneBatches(receivedBefore: cutoff, limit: 2) == 0)
        for gone in ["delivered", "replayed", "unrouted"] { #expect(try store.batch(gone) == nil) }
        for kept in ["dead", "waiting", "recent"] { #expect(try store.batch(kept) != nil) }
        #expect(try store.deadLetters(limit: 10).map(\.batch) == ["dead"])
        #expect(try outbox.storedPayloads().count == 3)

        // The destination still holds the pruned batch's records: sent again unchanged, they are not resent.
        let again = try store.enqueue(
            NewBatch(
                id: "again", client: "c", sourceFormat: "canonical",
                records: [Self.record("p1", "x"), Self.record("p2", "y")], destinations: ["a"]))
        #expect(again.unchanged == 2)
    }

    /// An operator closes a dead letter: it leaves the list, its delivery is dismissed (never claimed, done for
    /// retention), and it can be neither replayed nor dismissed again.
    @Test(arguments: StoreKind.underTest) func aDismissedDeadLetterIsClosedForGood(kind: StoreKind) throws {
        let outbox = try OutboxUnderTest(kind)
        let store = try outbox.open()
        try Self.enqueue(store, "b1")
        let now = Date().timeIntervalSince1970
        let claimed = try store.claimDue(limit: 10, lease: 30, now: now + 1)
        try store.complete(
            claimed.map { DeliveryOutcome(delivery: $0, result: .dead(reason: "HTTP 422", details: [])) }, now: now)
        let letter = try #require(try store.deadLetters(limit: 10).first)

        #expect(try store.dismiss(deadLetter: letter.id, now: now + 2))
        #expect(try !store.dismiss(deadLetter: letter.id, now: now + 3))
        #expect(try !store.replay(deadLetter: letter.id, now: now + 3))
        #expect(try store.deadLetters(limit: 10).isEmpty)
        #expect(try store.batch("b1")?.records.flatMap(\.deliveries).map(\.state) == [.dismissed])
        #expect(try store.claimDue(limit: 10, lease: 30, now: now + 600).isEmpty)
        #expect(try store.counts() == [DeliveryCount(destination: "a", state: .dismissed, count: 1)])
        #expect(try store.erasePayloads(receivedBefore: now + 60) == 1)
        #expect(try store.pruneBatches(receivedBefore: now + 60, limit: 10) == 1)
    }

    @Test(arguments: StoreKind.underTest) func aRetryWaitsForItsNextAttempt(kind: StoreKind) throws {
        let outbox = try OutboxUnderTest(kind)
        let store = try outbox.open()
        try Self.enqueue(store)
        let now = Date().timeIntervalSince1970
        let claimed = try store.claimDue(limit: 10, lease: 30, now: now)
        try store.complete(
            claimed.map { DeliveryOutcome(delivery: $0, result: .retry(reason: "HTTP 503", nextAttempt: now + 10)) },
            now: now)
        #expect(try store.claimDue(limit: 10, lease: 30, now: now + 5).isEmpty)
        #expect(try store.batch("b1")?.records.first?.deliveries.first?.lastError == "HTTP 503")
        #expect(try store.claimDue(limit: 10, lease: 30, now: now + 10).map(\.attempt) == [2])
    }

    @Test(arguments: StoreKind.underTest) func keysAndRemoteIdsWithQuotesAndBackslashesRoundTrip(kind: StoreKind) throws
    {
        let outbox = try OutboxUnderTest(kind)
        let store = try outbox.open()
        let keys = ["p\"1", "p\\2", "p,{3}", "NULL"]
        _ = try store.enqueue(
            NewBatch(
                id: "b1", client: "c", sourceFormat: "canonical", records: keys.map { Self.record($0, "x") },
                destinations: ["a", "b\"quoted"]))
        let now = Date().timeIntervalSince1970
        let claimed = try store.claimDue(limit: 100, lease: 30, now: now)
        #expect(claimed.count == 8)
        try store.complete(
            claimed.map { DeliveryOutcome(delivery: $0, result: .delivered(remoteId: "r:" + ($0.recordKey ?? ""))) },
            now: now)

        _ = try store.enqueue(
            NewBatch(
                id: "b2", client: "c", sourceFormat: "canonical", records: keys.map { Self.record($0, "y") },
                destinations: ["a", "b\"quoted"]))
        let again = try store.claimDue(limit: 100, lease: 30, now: now + 1)
        #expect(again.count == 8)
        #expect(again.allSatisfy { $0.remoteId == "r:" + ($0.recordKey ?? "-") })
        #expect(again.allSatisfy { $0.heldContentHash == "x-" + ($0.recordKey ?? "-") })
        #expect(Set(again.map(\.destination)) == ["a", "b\"quoted"])
    }

    @Test(arguments: StoreKind.underTest) func aLargeBatchKeepsItsOrderAndItsIdempotencyKeys(kind: StoreKind) throws {
        let outbox = try OutboxUnderTest(kind)
        let store = try outbox.open()
        let records = (0..<2500).map { Self.record("p\($0)", "x") }
        let summary = try store.enqueue(
            NewBatch(id: "b1", client: "c", sourceFormat: "canonical", records: records, destinations: ["a", "b"]))
        #expect(summary.accepted == 2500)
        let status = try #require(try store.batch("b1"))
        #expect(status.records.map(\.position) == Array(0..<2500))
        #expect(status.records.allSatisfy { $0.deliveries.map(\.destination) == ["a", "b"] })

        let claimed = try store.claimDue(limit: 10_000, lease: 30, now: Date().timeIntervalSince1970)
        #expect(claimed.count == 5000)
        let byKey = Dictionary(uniqueKeysWithValues: records.map { ($0.key ?? "", $0) })
        let mismatched = claimed.filter { claim in
            guard let record = byKey[claim.recordKey ?? ""] else { return true }
            return claim.idempotencyKey
                != SQLiteOutboxStore.idempotencyKey(destination: claim.destination, record: record)
                || claim.payload != record.payload
        }
        #expect(mismatched.isEmpty)
    }

    @Test(arguments: StoreKind.underTest) func theSchemaIsVersionedAndMigratedOnce(kind: StoreKind) throws {
        let outbox = try OutboxUnderTest(kind)
        _ = try outbox.open()
        _ = try outbox.open()
        #expect(try outbox.appliedVersions() == OutboxMigrations.steps.map(\.version))
    }

    @Test(arguments: StoreKind.underTest) func aSchemaNewerThanTheGatewayIsRefused(kind: StoreKind) throws {
        let outbox = try OutboxUnderTest(kind)
        _ = try outbox.open()
        try outbox.execute(
            "INSERT INTO schema_migrations (version, summary, applied_at) VALUES (999, 'from the future', 0)")
        let error = try #require(throws: StoreError.self) { try outbox.open() }
        #expect(error.description.contains("version 999, newer than this gateway knows"))
    }

    /// Workers claiming at once (several instances on PostgreSQL, several threads of one on SQLite) each
    /// get deliveries no one else holds, and together they deliver every one exactly once.
    @Test(arguments: StoreKind.underTest) func concurrentClaimsNeverShareADelivery(kind: StoreKind) throws {
        let outbox = try OutboxUnderTest(kind)
        let stores = try (0..<(kind == .postgres ? 3 : 1)).map { _ in try outbox.open() }
        let records = (0..<600).map { Self.record("p\($0)", "x") }
        for (index, chunk) in stride(from: 0, to: records.count, by: 200).enumerated() {
            _ = try stores[0].enqueue(
                NewBatch(
                    id: "b\(index)", client: "c", sourceFormat: "canonical",
                    records: Array(records[chunk..<chunk + 200]), destinations: ["a", "b"]))
        }

        let claims = ClaimLog()
        DispatchQueue.concurrentPerform(iterations: 6) { worker in
            let store = stores[worker % stores.count]
            for _ in 0..<1000 {
                let now = Date().timeIntervalSince1970
                guard let claimed = try? store.claimDue(limit: 16, lease: 60, now: now), !claimed.isEmpty else {
                    return
                }
                claims.add(claimed.map(\.id))
                try? store.complete(
                    claimed.map { DeliveryOutcome(delivery: $0, result: .delivered(remoteId: nil)) }, now: now)
            }
        }
        let ids = claims.ids
        #expect(ids.count == 1200)
        #expect(Set(ids).count == ids.count)
        #expect(
            try stores[0].counts() == [
                DeliveryCount(destination: "a", state: .delivered, count: 600),
                DeliveryCount(destination: "b", state: .delivered, count: 600),
            ])
    }
}

/// Delivery ids claimed by several threads.
final class ClaimLog: @unchecked Sendable {
    private let lock = NSLock()
    private var claimed: [Int64] = []

    func add(_ ids: [Int64]) {
        lock.lock()
        claimed += ids
        lock.unlock()
    }

    var ids: [Int64] {
        lock.lock()
        defer { lock.unlock() }
        return claimed
    }
}
