import PrimesModel

/// A partner system the gateway pushes canonical records to: a Primero instance, PING, an HTTPS endpoint.
///
/// The gateway's delivery workers call `deliver` for one record at a time and act on the typed result:
/// retry later, give up into the dead letters, or stop the destination until an operator fixes it.
/// Implementations convert the record to their own format themselves and never log personal data.
public protocol RecordDestination: Sendable {
    /// Sends one record. Never throws: every outcome, including a network failure, is a `DeliveryResult`.
    func deliver(_ record: CanonicalRecord, context: DeliveryContext) -> DeliveryResult

    /// What this destination holds of `record` once `deliver` has succeeded, in canonical form: the record
    /// as a later read from the same system gives it back, or only the fields this delivery wrote. The
    /// gateway's loop guard compares what it pulls from the system with it. Nil: the destination cannot say.
    func heldView(of record: CanonicalRecord, context: DeliveryContext) -> CanonicalRecord?
}

extension RecordDestination {
    public func heldView(of record: CanonicalRecord, context: DeliveryContext) -> CanonicalRecord? {
        nil
    }
}

/// What the gateway knows about one delivery besides the record.
public struct DeliveryContext: Sendable {
    /// Stable for the record's content and destination, so that a partner can drop a repeat.
    public let idempotencyKey: String
    /// The partner's own id for this subject, from an earlier delivery (the crosswalk), if any.
    public let remoteId: String?
    /// The attempt number, from 1.
    public let attempt: Int
    /// For an update pulled from another partner: the top-level canonical fields that changed there. A
    /// destination that takes partial updates sends only these (with the subject's key); nil sends all.
    public let changedFields: [String]?

    public init(idempotencyKey: String, remoteId: String? = nil, attempt: Int = 1, changedFields: [String]? = nil) {
        self.idempotencyKey = idempotencyKey
        self.remoteId = remoteId
        self.attempt = attempt
        self.changedFields = changedFields
    }
}

/// How one delivery ended.
public enum DeliveryResult: Sendable, Equatable {
    /// The partner has the record; `remoteId` is its own id for the subject, kept in the crosswalk.
    case delivered(remoteId: String?)
    /// The partner already had exactly this record; nothing was sent.
    case unchanged(remoteId: String?)
    /// Worth trying again later: a timeout, a 5xx, a 503 or 429 (with the wait the partner asked for).
    case retryable(reason: String, retryAfterSeconds: Double?)
    /// Will fail the same way every time: the partner rejected the record (a 4xx, a 422 with its pointers).
    case permanent(reason: String, details: [String])
    /// The gateway's credentials were refused. Delivery to this destination must stop, not retry: some
    /// partners (Primero) lock an account after a few failures.
    case authenticationFailed(reason: String)
}
