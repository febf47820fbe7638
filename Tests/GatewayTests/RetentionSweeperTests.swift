import Foundation
import PrimesLogging
import TestSupport
import Testing

@testable import Gateway

/// Payloads of delivered records emptied once older than the retention, by the sweep the daemon runs.
@Suite struct RetentionSweeperTests {
    @Test func aDeliveredPayloadOlderThanTheRetentionIsEmptiedAndTheSweepSaysHowMany() throws {
        let outbox = try OutboxUnderTest(.sqlite)
        let store = try outbox.open()
        _ = try store.enqueue(
            NewBatch(
                id: "b1", client: "c", sourceFormat: "canonical",
                records: [OutboxStoreContractTests.record("p1", "x")], destinations: ["a"]))
        let now = Date().timeIntervalSince1970
        try store.complete(
            try store.claimDue(limit: 10, lease: 30, now: now).map {
                DeliveryOutcome(delivery: $0, result: .delivered(remoteId: nil))
            }, now: now)

        let lines = LockedLines()
        let sweeper = RetentionSweeper(
            store: store, settings: .init(payloadDays: 30, sweepSeconds: 3600),
            logger: Logger(label: "test", style: .text, sink: LogSink(lines.append)))
        #expect(try sweeper.sweep(now: now + 29 * 86_400) == .init(erased: 0, pruned: 0))
        #expect(try sweeper.sweep(now: now + 31 * 86_400) == .init(erased: 1, pruned: 0))
        #expect(try outbox.storedPayloads() == [[]])
        #expect(lines.text == "info retention.erased payload.days=30.0 records=1\n")
    }

    @Test func batchesOlderThanTheirRetentionGoInChunksAndTheSweepSaysHowMany() throws {
        let outbox = try OutboxUnderTest(.sqlite)
        let store = try outbox.open()
        // More batches than one chunk, each delivered (no destination: nothing is waiting).
        let count = RetentionSweeper.pruneChunk + 20
        for index in 0..<count {
            try OutboxStoreContractTests.enqueue(store, "b\(index)", to: [])
        }
        let now = Date().timeIntervalSince1970
        let lines = LockedLines()
        let sweeper = RetentionSweeper(
            store: store, settings: .init(payloadDays: 30, batchDays: 90, sweepSeconds: 3600),
            logger: Logger(label: "test", style: .text, sink: LogSink(lines.append)))
        // Their payloads go after thirty days, the batches after ninety.
        #expect(try sweeper.sweep(now: now + 89 * 86_400) == .init(erased: count, pruned: 0))
        #expect(try store.batch("b0") != nil)
        #expect(try sweeper.sweep(now: now + 91 * 86_400) == .init(erased: 0, pruned: count))
        #expect(try store.batch("b0") == nil)
        #expect(try store.batch("b\(count - 1)") == nil)
        #expect(
            lines.text
                == "info retention.erased payload.days=30.0 records=\(count)\n"
                + "info retention.pruned batch.days=90.0 batches=\(count)\n")
    }

    @Test func theSweepThreadStopsAtOnce() throws {
        let outbox = try OutboxUnderTest(.sqlite)
        let sweeper = RetentionSweeper(
            store: try outbox.open(), settings: .init(payloadDays: 30, sweepSeconds: 3600),
            logger: Logger(label: "test", style: .text, sink: LogSink { _ in }))
        sweeper.start()
        let started = Date()
        sweeper.stop()
        #expect(Date().timeIntervalSince(started) < 5)
    }
}
