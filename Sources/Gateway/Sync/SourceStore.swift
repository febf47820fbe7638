import Foundation

/// What a store keeps for the sources the gateway pulls from: the files each one processed, the content
/// hash of every subject it last pulled, and the counters `sync status` shows.
///
/// `commitPull` is the one write that matters: it enqueues the pulled records and advances the cursor in a
/// single transaction, so a crash either loses the whole pull (it is done again) or none of it (the
/// cursor says it was done).
public protocol SourceStore: AnyObject, Sendable {
    /// The file `source` already processed with this checksum, or nil.
    func processedFile(source: String, checksum: String) throws -> ProcessedFile?

    /// In one transaction: leaves out the records whose subject was last pulled by `source` with the same
    /// content hash, enqueues the others, remembers their hashes, records the file (when the pull came from
    /// one) and the cursor, and adds to the source's counters.
    func commitPull(_ pull: SourcePull, now: Double) throws -> PullSummary

    /// Notes that `source` was polled at `now`, with the error that stopped the poll if any.
    func recordPoll(source: String, now: Double, error: String?) throws

    /// Every source's state, in name order.
    func sourceStatuses() throws -> [SourceStatus]

    /// Lays the fields deliveries are about to write into a system over the memory of each subject kept by
    /// the sources pulling from that system, in one transaction.
    func recordWrites(_ writes: [HeldFields], now: Double) throws

    /// The key field hashes are made with (`FieldHashes`): derived from the store key when payloads are
    /// encrypted, nil (plain SHA-256) when they are not.
    var fieldHashKey: [UInt8]? { get }
}

/// A file a source has processed, as its cursor remembers it.
public struct ProcessedFile: Sendable, Codable, Equatable {
    public enum Outcome: String, Sendable, Codable {
        /// Every record was accepted; the file belongs in `done/`.
        case done
        /// At least one record, or the whole file, was rejected; the file belongs in `rejected/`.
        case rejected
    }

    public var name: String
    /// SHA-256 of the file's bytes, lower-case hex.
    public var checksum: String
    public var outcome: Outcome
    /// The batch its records were enqueued in; nil when none was new.
    public var batch: String?

    public init(name: String, checksum: String, outcome: Outcome, batch: String?) {
        self.name = name
        self.checksum = checksum
        self.outcome = outcome
        self.batch = batch
    }
}

/// The records one poll pulled, with the position to remember once they are enqueued.
public struct SourcePull: Sendable {
    public var source: String
    /// The records and their destinations; records with unchanged content are dropped from it.
    public var batch: NewBatch
    /// The file the records came from, for `directory` sources.
    public var file: ProcessedFile?
    /// A source-specific position (a timestamp, a page token) to store; nil leaves the stored one.
    public var cursor: String?

    public init(source: String, batch: NewBatch, file: ProcessedFile? = nil, cursor: String? = nil) {
        self.source = source
        self.batch = batch
        self.file = file
        self.cursor = cursor
    }
}

/// What `commitPull` stored.
public struct PullSummary: Sendable, Equatable {
    /// The batch id; nil when no record was new or changed, so no batch was stored.
    public var batch: String?
    public var enqueued: Int
    /// Records left out because their subject's content is the same as at the last pull.
    public var unchanged: Int
    /// Records left out because they differed from the last pull only by what the gateway itself wrote
    /// into the system since (the loop guard).
    public var echoed: Int

    public init(batch: String?, enqueued: Int, unchanged: Int, echoed: Int = 0) {
        self.batch = batch
        self.enqueued = enqueued
        self.unchanged = unchanged
        self.echoed = echoed
    }
}

/// One source's state, for `sync status` and `/v1/sources`.
public struct SourceStatus: Sendable, Codable, Equatable {
    public var source: String
    public var lastPollAt: Double?
    /// The error that stopped the last poll; nil when it succeeded.
    public var lastError: String?
    public var cursor: String?
    /// The last file processed, for `directory` sources.
    public var lastFile: String?
    public var recordsPulled: Int
    public var recordsEnqueued: Int
    public var recordsUnchanged: Int
    public var recordsRejected: Int
    /// Records that were the gateway's own writes coming back, left out by the loop guard.
    public var recordsEchoed: Int
    public var filesProcessed: Int
    public var filesRejected: Int

    public init(source: String) {
        self.source = source
        recordsPulled = 0
        recordsEnqueued = 0
        recordsUnchanged = 0
        recordsRejected = 0
        recordsEchoed = 0
        filesProcessed = 0
        filesRejected = 0
    }
}

/// The fields a delivery writes into a system that sources of the gateway also pull from: the loop guard's
/// provenance. A later pull from one of `sources` whose fields all match what the gateway wrote there is
/// the gateway's own write coming back, and is not sent on.
public struct HeldFields: Sendable, Equatable {
    /// The sources pulling from the system the delivery went to.
    public var sources: [String]
    public var recordKey: String
    /// A hash per top-level canonical field written (`FieldHashes`).
    public var fieldHashes: [String: String]

    public init(sources: [String], recordKey: String, fieldHashes: [String: String]) {
        self.sources = sources
        self.recordKey = recordKey
        self.fieldHashes = fieldHashes
    }
}
