import Foundation
import PrimesModel
import TestSupport
import Testing

@testable import Gateway

/// The sources' cursors, held by every store that syncs: each test runs on SQLite and, when the test run has
/// a server, on PostgreSQL.
@Suite struct SourceStoreContractTests {
    /// A pulled person with the given fields, hashed as `PulledRecords` hashes it.
    static func pulled(_ key: String, _ fields: [String: JSONValue]) throws -> NewRecord {
        var object = fields
        object["recordType"] = "person"
        object["id"] = .string(key)
        let json = JSONValue.object(object)
        return NewRecord(
            key: key, contentHash: sha256Hex(json.jsonBytes), payload: json.jsonBytes,
            fieldHashes: FieldHashes.of(json, key: nil))
    }

    static func pull(_ records: [NewRecord], id: String, cursor: String? = nil) -> SourcePull {
        SourcePull(
            source: "ping-kakuma",
            batch: NewBatch(
                id: id, client: "sync:ping-kakuma", sourceFormat: "progres-ping-json", records: records,
                destinations: ["primero"]),
            cursor: cursor)
    }

    /// A time by which every delivery enqueued in a test is due (enqueueing stamps the wall clock).
    static let later = Date().timeIntervalSince1970 + 3600

    static let phone: JSONValue = .array([.object(["kind": "phone", "value": "+254700000001"])])
    static let otherPhone: JSONValue = .array([.object(["kind": "phone", "value": "+254700000999"])])

    static func sourceStore(_ kind: StoreKind) throws -> (OutboxUnderTest, any OutboxStore & SourceStore) {
        let outbox = try OutboxUnderTest(kind)
        let store = try #require(try outbox.open() as? any OutboxStore & SourceStore)
        return (outbox, store)
    }

    @Test(arguments: StoreKind.underTest) func anUnchangedSubjectIsLeftOutAndAChangedOneNamesItsFields(
        kind: StoreKind
    ) throws {
        let (outbox, store) = try Self.sourceStore(kind)
        defer { withExtendedLifetime(outbox) {} }
        let first = try store.commitPull(
            Self.pull(
                [
                    try Self.pulled("p1", ["sex": "female", "contacts": Self.phone]),
                    try Self.pulled("p2", ["sex": "male"]),
                ],
                id: "b1", cursor: "2026-12-01T00:00:00Z"),
            now: 1)
        #expect(first == PullSummary(batch: "b1", enqueued: 2, unchanged: 0))
        let whole = try store.claimDue(limit: 10, lease: 30, now: Self.later + 2)
        #expect(whole.map(\.changedFields) == [nil, nil], "a first pull sends whole records")
        try store.complete(whole.map { DeliveryOutcome(delivery: $0, result: .delivered(remoteId: nil)) }, now: 3)

        let second = try store.commitPull(
            Self.pull(
                [
                    try Self.pulled("p1", ["sex": "female", "contacts": Self.otherPhone]),
                    try Self.pulled("p2", ["sex": "male"]),
                ], id: "b2"),
            now: 4)
        #expect(second == PullSummary(batch: "b2", enqueued: 1, unchanged: 1))
        let update = try store.claimDue(limit: 10, lease: 30, now: Self.later + 5)
        #expect(update.map(\.recordKey) == ["p1"])
        #expect(update.map(\.changedFields) == [["contacts"]])

        let status = try #require(try store.sourceStatuses().first)
        #expect(status.source == "ping-kakuma")
        #expect(status.recordsPulled == 4)
        #expect(status.recordsEnqueued == 3)
        #expect(status.recordsUnchanged == 1)
        #expect(status.cursor == "2026-12-01T00:00:00Z", "a pull without a cursor leaves the stored one")
    }

    /// The loop guard: what the gateway wrote into the system, coming back in a pull, is not sent on; a
    /// partner's own change beside it is, alone.
    @Test(arguments: StoreKind.underTest) func theGatewaysOwnWriteComingBackIsNotSentOn(kind: StoreKind) throws {
        let (outbox, store) = try Self.sourceStore(kind)
        defer { withExtendedLifetime(outbox) {} }
        _ = try store.commitPull(Self.pull([try Self.pulled("p1", ["sex": "female"])], id: "b1"), now: 1)

        // A delivery from elsewhere is about to write a phone number into the system this source pulls from.
        try store.recordWrites(
            [
                HeldFields(
                    sources: ["ping-kakuma"], recordKey: "p1",
                    fieldHashes: FieldHashes.of(JSONValue.object(["contacts": Self.phone]), key: nil))
            ], now: 3)

        // The system has not applied the write yet: the same content as before is unchanged, and the
        // memory of the write is kept for the next pull.
        let early = try store.commitPull(Self.pull([try Self.pulled("p1", ["sex": "female"])], id: "b2"), now: 4)
        #expect(early == PullSummary(batch: nil, enqueued: 0, unchanged: 1))

        let echo = try store.commitPull(
            Self.pull([try Self.pulled("p1", ["sex": "female", "contacts": Self.phone])], id: "b3"), now: 5)
        #expect(echo == PullSummary(batch: nil, enqueued: 0, unchanged: 0, echoed: 1))
        #expect(try store.sourceStatuses().first?.recordsEchoed == 1)

        let decision = try store.commitPull(
            Self.pull([try Self.pulled("p1", ["sex": "male", "contacts": Self.phone])], id: "b4"), now: 6)
        #expect(decision == PullSummary(batch: "b4", enqueued: 1, unchanged: 0))
        let update = try store.claimDue(limit: 10, lease: 30, now: Self.later + 7).filter {
            $0.destination == "primero"
        }
        // The first pull's whole record is still waiting, then the decision: its changed field alone.
        #expect(update.map(\.changedFields) == [nil, ["sex"]])
    }

    /// A subject the gateway created in the system before ever pulling it: the first pull compares with
    /// what was written, not with nothing.
    @Test(arguments: StoreKind.underTest) func aSubjectTheGatewayCreatedIsComparedWithWhatItWrote(kind: StoreKind)
        throws
    {
        let (outbox, store) = try Self.sourceStore(kind)
        defer { withExtendedLifetime(outbox) {} }
        let created = try Self.pulled("p9", ["sex": "female", "contacts": Self.phone])
        try store.recordWrites(
            [HeldFields(sources: ["ping-kakuma"], recordKey: "p9", fieldHashes: created.fieldHashes ?? [:])], now: 2)
        let back = try Self.pulled(
            "p9", ["sex": "female", "contacts": Self.phone, "extensions": .object(["x": .string("1")])])
        #expect(
            try store.commitPull(Self.pull([back], id: "b1"), now: 3)
                == PullSummary(batch: nil, enqueued: 0, unchanged: 0, echoed: 1))
        // Only extensions move at the partner: an update with no canonical field changed.
        let moved = try Self.pulled(
            "p9", ["sex": "female", "contacts": Self.phone, "extensions": .object(["x": .string("2")])])
        #expect(try store.commitPull(Self.pull([moved], id: "b2"), now: 4).enqueued == 1)
        #expect(try store.claimDue(limit: 10, lease: 30, now: Self.later + 5).map(\.changedFields) == [[]])
    }

    @Test(arguments: StoreKind.underTest) func aFileIsRememberedByItsChecksum(kind: StoreKind) throws {
        let (outbox, store) = try Self.sourceStore(kind)
        defer { withExtendedLifetime(outbox) {} }
        var pull = Self.pull([try Self.pulled("p1", ["sex": "female"])], id: "b1")
        pull.file = ProcessedFile(name: "export.csv", checksum: "abc", outcome: .rejected, batch: nil)
        pull.batch.rejectedCount = 2
        _ = try store.commitPull(pull, now: 1)
        #expect(
            try store.processedFile(source: "ping-kakuma", checksum: "abc")
                == ProcessedFile(name: "export.csv", checksum: "abc", outcome: .rejected, batch: "b1"))
        #expect(try store.processedFile(source: "ping-kakuma", checksum: "other") == nil)
        try store.recordPoll(source: "ping-kakuma", now: 9, error: "PING answered 503")
        let status = try #require(try store.sourceStatuses().first)
        #expect(status.filesProcessed == 1)
        #expect(status.filesRejected == 1)
        #expect(status.recordsRejected == 2)
        #expect(status.lastFile == "export.csv")
        #expect(status.lastPollAt == 9)
        #expect(status.lastError == "PING answered 503")
    }

    /// The second version of a subject met twice in one pull is judged against the first.
    @Test(arguments: StoreKind.underTest) func aSubjectTwiceInOnePullCountsOnce(kind: StoreKind) throws {
        let (outbox, store) = try Self.sourceStore(kind)
        defer { withExtendedLifetime(outbox) {} }
        let version = try Self.pulled("p1", ["sex": "female"])
        let summary = try store.commitPull(Self.pull([version, version], id: "b1"), now: 1)
        #expect(summary == PullSummary(batch: "b1", enqueued: 1, unchanged: 1))
    }
}
