import Foundation
import PrimesModel

/// The durable outbox: batches, records, deliveries per destination, the crosswalk and dead letters.
///
/// Every method commits before it returns: when `enqueue` returns, the batch is on disk and a crash loses
/// nothing. Implementations keep their SQL portable between SQLite and PostgreSQL (no `INSERT OR …`, no
/// SQLite date functions; times are seconds since 1970 as real numbers).
public protocol OutboxStore: AnyObject, Sendable {
    /// Stores a batch and one delivery per record and destination. A record whose content a destination
    /// already has (the crosswalk holds the same content hash) gets a delivery marked delivered, unsent.
    func enqueue(_ batch: NewBatch) throws -> BatchSummary

    /// `enqueue` for a caller that must not block: `completion` gets the outcome once the batch is on disk (or
    /// the error), on a thread of the store's choosing.
    func enqueue(_ batch: NewBatch, then completion: @escaping @Sendable (Result<BatchSummary, any Error>) -> Void)

    /// Claims up to `limit` due deliveries for `lease` seconds: queued or failed ones whose next attempt
    /// has come, and delivering ones whose lease ran out (their worker died). Each claim counts an attempt.
    func claimDue(limit: Int, lease: Double, now: Double) throws -> [ClaimedDelivery]

    /// Records the outcomes of claimed deliveries, all in one transaction.
    func complete(_ outcomes: [DeliveryOutcome], now: Double) throws

    func batch(_ id: String) throws -> BatchStatus?
    func deadLetters(limit: Int) throws -> [DeadLetter]
    /// Puts a dead letter's delivery back in the queue with its attempts reset; false when no such letter.
    func replay(deadLetter id: Int64, now: Double) throws -> Bool
    /// Closes a dead letter without sending it again: its delivery becomes `dismissed`. False when no such
    /// letter is open.
    func dismiss(deadLetter id: Int64, now: Double) throws -> Bool
    /// Deliveries per destination and state, for `outbox status` and the queue-depth gauge.
    func counts() throws -> [DeliveryCount]
    /// Empties the payload of every record received before `receivedBefore` that every destination has
    /// received; returns how many. Batches, deliveries and the crosswalk stay, so status and change detection
    /// still work; a record with a delivery still waiting, failing or dead keeps its payload.
    func erasePayloads(receivedBefore: Double) throws -> Int
    /// Deletes at most `limit` batches received before `receivedBefore` whose every delivery is delivered,
    /// with their records, deliveries and dead letters; returns how many. The crosswalk stays, so change
    /// detection still knows what each destination holds; a batch with a delivery still waiting, failing or
    /// dead stays whole.
    func pruneBatches(receivedBefore: Double, limit: Int) throws -> Int
}

/// A batch to store: the records of one request or file, already in canonical form, and their destinations.
public struct NewBatch: Sendable {
    public var id: String
    public var client: String
    public var sourceFormat: String
    public var records: [NewRecord]
    /// How many records of the request were rejected before the store (they are not stored).
    public var rejectedCount: Int
    public var destinations: [String]
    /// Destinations that are the system the batch was pulled from: a withdrawal is not sent back there.
    public var origins: [String]

    public init(
        id: String, client: String, sourceFormat: String, records: [NewRecord], rejectedCount: Int = 0,
        destinations: [String], origins: [String] = []
    ) {
        self.id = id
        self.client = client
        self.sourceFormat = sourceFormat
        self.records = records
        self.rejectedCount = rejectedCount
        self.destinations = destinations
        self.origins = origins
    }
}

/// One canonical record to store.
public struct NewRecord: Sendable {
    /// The record's own key (its id or ref), used by the crosswalk; nil when the record has neither.
    public var key: String?
    /// SHA-256 of the canonical payload, for change detection and idempotency keys.
    public var contentHash: String
    /// The canonical NDJSON line, sorted keys, without its newline.
    public var payload: [UInt8]
    /// For an update pulled from a partner: the top-level canonical fields that changed there, so that a
    /// destination taking partial updates (PING) sends only those. Nil: the whole record is news.
    public var changedFields: [String]?
    /// For a pulled record: a hash per top-level canonical field (`FieldHashes`), which the source's cursor
    /// keeps to tell the next pull's changes apart. Not stored with the record.
    public var fieldHashes: [String: String]?
    /// A person whose consent is withdrawn: the record goes, as a withdrawal notice, to every destination the
    /// crosswalk says holds its key (but the batch's `origins`), and to no other, whatever the batch's
    /// destinations.
    public var isWithdrawal: Bool

    public init(
        key: String?, contentHash: String, payload: [UInt8], changedFields: [String]? = nil,
        fieldHashes: [String: String]? = nil, isWithdrawal: Bool = false
    ) {
        self.key = key
        self.contentHash = contentHash
        self.payload = payload
        self.changedFields = changedFields
        self.fieldHashes = fieldHashes
        self.isWithdrawal = isWithdrawal
    }
}

public struct BatchSummary: Sendable, Equatable {
    public var batch: String
    public var accepted: Int
    /// Deliveries not made because the destination already has the same content.
    public var unchanged: Int

    public init(batch: String, accepted: Int, unchanged: Int) {
        self.batch = batch
        self.accepted = accepted
        self.unchanged = unchanged
    }
}

/// A delivery a worker holds under lease.
public struct ClaimedDelivery: Sendable {
    public var id: Int64
    public var destination: String
    public var recordKey: String?
    public var contentHash: String
    public var payload: [UInt8]
    /// This attempt's number, from 1.
    public var attempt: Int
    public var idempotencyKey: String
    /// The partner's own id for the subject, from an earlier delivery.
    public var remoteId: String?
    /// The content hash the crosswalk says the destination already holds for this record's key.
    public var heldContentHash: String?
    /// The record's changed fields, when it is a partial update pulled from a partner (`NewRecord`).
    public var changedFields: [String]? = nil
    /// Why the stored payload could not be read (encrypted under another key, or with none configured); the
    /// payload is then empty and the delivery goes back to the queue.
    public var unreadablePayload: String? = nil
}

/// What happened to one claimed delivery.
public struct DeliveryOutcome: Sendable {
    public enum Result: Sendable, Equatable {
        case delivered(remoteId: String?)
        /// Try again at `nextAttempt` (seconds since 1970); `reason` carries no personal data.
        case retry(reason: String, nextAttempt: Double)
        case dead(reason: String, details: [String])
        /// Back to the queue without counting the attempt (the destination is paused).
        case release(reason: String, nextAttempt: Double)
    }

    public var delivery: ClaimedDelivery
    public var result: Result

    public init(delivery: ClaimedDelivery, result: Result) {
        self.delivery = delivery
        self.result = result
    }
}

/// The states of a delivery, as stored and as `GET /v1/batches/{id}` shows them.
public enum DeliveryState: String, Sendable, Codable, CaseIterable {
    case queued, delivering, delivered, failed, dead
    /// A dead letter an operator closed without sending it again (the partner was told by other means, or
    /// the record is not to go): never claimed again, and done as far as retention is concerned.
    case dismissed
}

public struct BatchStatus: Sendable, Codable, Equatable {
    public struct Record: Sendable, Codable, Equatable {
        public var position: Int
        public var deliveries: [Delivery]
    }

    public struct Delivery: Sendable, Codable, Equatable {
        public var destination: String
        public var state: DeliveryState
        public var attempts: Int
        public var lastError: String?
        public var unchanged: Bool
    }

    public var batch: String
    public var client: String
    public var format: String
    public var receivedAt: Double
    public var accepted: Int
    public var rejected: Int
    public var records: [Record]
}

public struct DeadLetter: Sendable, Codable, Equatable {
    public var id: Int64
    public var delivery: Int64
    public var batch: String
    public var destination: String
    public var reason: String
    public var details: [String]
    public var createdAt: Double
}

public struct DeliveryCount: Sendable, Codable, Equatable {
    public var destination: String
    public var state: DeliveryState
    public var count: Int

    public init(destination: String, state: DeliveryState, count: Int) {
        self.destination = destination
        self.state = state
        self.count = count
    }
}

extension CanonicalRecord {
    /// A person with a key whose consent is withdrawn (`consent.status` `withdrawn`): stored as a withdrawal.
    var isConsentWithdrawal: Bool {
        guard case .person(let person) = self, key != nil else { return false }
        return person.consent?.status == "withdrawn"
    }
}
