import Foundation
import Gateway
import TestSupport
import Testing

@Suite struct SQLiteOutboxStoreTests {
    static func record(_ key: String, _ content: String) -> NewRecord {
        let payload = Array("{\"recordType\":\"person\",\"id\":\"\(key)\",\"sex\":\"\(content)\"}".utf8)
        return NewRecord(key: key, contentHash: content + "-" + key, payload: payload)
    }

    @Test func storesABatchWithOneDeliveryPerDestination() throws {
        let folder = try TemporaryDirectory()
        let store = try SQLiteOutboxStore(path: folder.path("outbox.sqlite"))
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

    @Test func survivesReopeningTheFile() throws {
        let folder = try TemporaryDirectory()
        do {
            let store = try SQLiteOutboxStore(path: folder.path("outbox.sqlite"))
            _ = try store.enqueue(
                NewBatch(
                    id: "b1", client: "c", sourceFormat: "canonical", records: [Self.record("p1", "x")],
                    destinations: ["a"]))
        }
        let reopened = try SQLiteOutboxStore(path: folder.path("outbox.sqlite"))
        #expect(try reopened.counts() == [DeliveryCount(destination: "a", state: .queued, count: 1)])
    }

    @Test func aClaimIsALeaseThatAnotherWorkerTakesOverWhenItRunsOut() throws {
        let folder = try TemporaryDirectory()
        let store = try SQLiteOutboxStore(path: folder.path("outbox.sqlite"))
        _ = try store.enqueue(
            NewBatch(
                id: "b1", client: "c", sourceFormat: "canonical", records: [Self.record("p1", "x")], destinations: ["a"]
            ))
        let now = Date().timeIntervalSince1970
        let first = try store.claimDue(limit: 10, lease: 30, now: now)
        #expect(first.map(\.attempt) == [1])
        #expect(try store.claimDue(limit: 10, lease: 30, now: now + 1).isEmpty)
        let second = try store.claimDue(limit: 10, lease: 30, now: now + 31)
        #expect(second.map(\.attempt) == [2])
        #expect(second.first?.idempotencyKey == first.first?.idempotencyKey)
    }

    @Test func anUnchangedRecordIsNotQueuedAgainForADestinationThatHasIt() throws {
        let folder = try TemporaryDirectory()
        let store = try SQLiteOutboxStore(path: folder.path("outbox.sqlite"))
        _ = try store.enqueue(
            NewBatch(
                id: "b1", client: "c", sourceFormat: "canonical", records: [Self.record("p1", "x")], destinations: ["a"]
            ))
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

    @Test func aDeadLetterIsReplayedWithItsAttemptsReset() throws {
        let folder = try TemporaryDirectory()
        let store = try SQLiteOutboxStore(path: folder.path("outbox.sqlite"))
        _ = try store.enqueue(
            NewBatch(
                id: "b1", client: "c", sourceFormat: "canonical", records: [Self.record("p1", "x")], destinations: ["a"]
            ))
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

    @Test func aRetryWaitsForItsNextAttempt() throws {
        let folder = try TemporaryDirectory()
        let store = try SQLiteOutboxStore(path: folder.path("outbox.sqlite"))
        _ = try store.enqueue(
            NewBatch(
                id: "b1", client: "c", sourceFormat: "canonical", records: [Self.record("p1", "x")], destinations: ["a"]
            ))
        let now = Date().timeIntervalSince1970
        let claimed = try store.claimDue(limit: 10, lease: 30, now: now)
        try store.complete(
            claimed.map { DeliveryOutcome(delivery: $0, result: .retry(reason: "HTTP 503", nextAttempt: now + 10)) },
            now: now)
        #expect(try store.claimDue(limit: 10, lease: 30, now: now + 5).isEmpty)
        #expect(try store.batch("b1")?.records.first?.deliveries.first?.lastError == "HTTP 503")
        #expect(try store.claimDue(limit: 10, lease: 30, now: now + 10).map(\.attempt) == [2])
    }
}
