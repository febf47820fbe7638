import Adapters
import Foundation
import PrimesLogging
import PrimesModel

/// The delivery side of the outbox: claims due deliveries, applies each destination's agreement, sends
/// through its `RecordDestination`, and records the outcome (delivered, retry with backoff, dead letter).
///
/// Several workers may run at once, in this process or in several processes sharing a store: a claim is
/// a lease, and a delivery whose worker died is claimed again when its lease runs out. A delivery may
/// therefore reach a partner twice after a crash; its idempotency key lets the partner drop the repeat.
public final class DeliveryService: @unchecked Sendable {
    /// One configured destination, ready to deliver.
    public struct Target: Sendable {
        public var name: String
        public var destination: any RecordDestination
        /// Nil: the destination has no agreement and receives nothing.
        public var agreement: DataSharingAgreement?
        public var retry: RetryPolicy
        /// The sources that pull from the same system: each delivery tells their loop guard what it wrote.
        public var pulledBy: [String]
        /// The key of the agreement's `pseudonym` transformations for this destination.
        public var pseudonymKey: [UInt8]?
        /// Whether what the destination receives can say that a person's consent was withdrawn (the canonical
        /// format can; the partner layouts have no such field). A withdrawal for one that cannot becomes a
        /// dead letter, so that someone tells the partner by other means.
        public var carriesConsent: Bool

        public init(
            name: String, destination: any RecordDestination, agreement: DataSharingAgreement?, retry: RetryPolicy,
            pulledBy: [String] = [], pseudonymKey: [UInt8]? = nil, carriesConsent: Bool = true
        ) {
            self.name = name
            self.destination = destination
            self.agreement = agreement
            self.retry = retry
            self.pulledBy = pulledBy
            self.pseudonymKey = pseudonymKey
            self.carriesConsent = carriesConsent
        }
    }

    public let store: any OutboxStore
    public let metrics: GatewayMetrics
    private let targets: [String: Target]
    private let settings: GatewayConfiguration.DeliverySettings
    private let logger: Logger
    /// Where every record is recorded before it is sent; nil records nothing (tests).
    private let ledger: DisclosureLedger?

    private let lock = NSLock()
    private var stopping = false
    private var threads: [Thread] = []
    private let finished = DispatchGroup()
    /// Destinations whose credentials were refused, with the time from which one delivery may go to each as a
    /// probe. A probe that gets through resumes the destination; one refused again restarts its wait.
    private var paused: [String: Double] = [:]

    public init(
        store: any OutboxStore, targets: [Target], settings: GatewayConfiguration.DeliverySettings,
        metrics: GatewayMetrics = GatewayMetrics(), logger: Logger, ledger: DisclosureLedger? = nil
    ) {
        self.ledger = ledger
        self.store = store
        self.targets = Dictionary(targets.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
    }

    /// Claims one round of due deliveries and completes them; returns how many it handled.
    @discardableResult
    public func deliverDue(now: Double = Date().timeIntervalSince1970) throws -> Int {
        let claimed = try store.claimDue(limit: settings.claimSize, lease: settings.leaseSeconds, now: now)
        guard !claimed.isEmpty else { return 0 }
        let prepared = claimed.map { prepare($0, now: now) }
        try recordWrites(prepared)
        try recordDisclosures(prepared)
        let outcomes = prepared.map { item in
            switch item {
            case .settled(let outcome): outcome
            case .ready(let send): deliver(send)
            }
        }
        try store.complete(outcomes, now: Date().timeIntervalSince1970)
        return claimed.count
    }

    /// Writes the disclosure ledger's lines for the records this round is about to send, before any is sent:
    /// a record a partner may have received is never missing from the ledger (an attempt that then fails keeps
    /// its line). When the ledger cannot be written nothing is sent, and the round goes back to the queue.
    private func recordDisclosures(_ prepared: [Prepared]) throws {
        guard let ledger else { return }
        let disclosures = prepared.compactMap { item -> DisclosureLedger.Disclosure? in
            guard case .ready(let send) = item else { return nil }
            return Self.disclosure(of: send)
        }
        do {
            try ledger.append(disclosures)
        } catch {
            logger.error(
                "ledger.write_failed", ["error": .safe(error.description), "deliveries": .count(prepared.count)])
            let outcomes = prepared.map { item in
                switch item {
                case .settled(let outcome): outcome
                case .ready(let send): released(send.claim, reason: "the disclosure ledger cannot be written")
                }
            }
            try store.complete(outcomes, now: Date().timeIntervalSince1970)
            throw error
        }
    }

    /// What a record about to be sent discloses: its destination, agreement and the fields it carries.
    private static func disclosure(of send: Send) -> DisclosureLedger.Disclosure? {
        guard let agreement = send.target.agreement else { return nil }
        return DisclosureLedger.Disclosure(
            destination: send.target.name, agreement: agreement.name, agreementVersion: agreement.version,
            fields: send.fields, recordKey: send.claim.recordKey, idempotencyKey: send.claim.idempotencyKey)
    }

    /// Delivers until nothing is due, at most `rounds` claims; for `push` and tests.
    public func drain(rounds: Int = 1_000_000) throws {
        for _ in 0..<rounds {
            if try deliverDue() == 0 { return }
        }
    }

    /// A claimed delivery ready to send, or settled without sending.
    private enum Prepared {
        case settled(DeliveryOutcome)
        case ready(Send)
    }

    private struct Send {
        var claim: ClaimedDelivery
        var target: Target
        /// The record as the agreement lets it leave.
        var record: CanonicalRecord
        var context: DeliveryContext
        var log: Logger
        /// The fields the record carries after the agreement, for the disclosure ledger.
        var fields: [String]
        /// Sent to a paused destination to learn whether its credentials are accepted again.
        var isProbe: Bool
        /// When the round that claimed it began; a refusal pauses the destination from then.
        var roundStarted: Double
    }

    private func prepare(_ claim: ClaimedDelivery, now: Double) -> Prepared {
        let log = logger.with(["delivery.id": .safe(String(claim.id)), "destination": .safe(claim.destination)])
        guard let target = targets[claim.destination] else {
            return .settled(dead(claim, "destination is not configured", [], log))
        }
        let isProbe: Bool
        switch admission(to: target.name, now: now) {
        case .open: isProbe = false
        case .probe: isProbe = true
        case .paused: return .settled(released(claim))
        }
        if let problem = claim.unreadablePayload {
            metrics.increment("primes_deliveries_total", [("destination", target.name), ("outcome", "unreadable")])
            log.error("delivery.unreadable_payload", ["reason": .safe(problem)])
            return .settled(released(claim, reason: problem))
        }
        guard let agreement = target.agreement else {
            return .settled(dead(claim, "no data-sharing agreement: nothing is sent to this destination", [], log))
        }
        if claim.heldContentHash == claim.contentHash {
            metrics.increment("primes_deliveries_total", [("destination", target.name), ("outcome", "unchanged")])
            return .settled(DeliveryOutcome(delivery: claim, result: .delivered(remoteId: claim.remoteId)))
        }
        let record: CanonicalRecord
        let fields: [String]
        do {
            let full = try DataSharingAgreement.json(of: claim.payload)
            let isWithdrawal = Self.isWithdrawal(full)
            if isWithdrawal && !target.carriesConsent {
                let reason =
                    "consent withdrawn: this destination's format cannot say so; tell the partner by other means"
                return .settled(dead(claim, reason, [], log))
            }
            // A withdrawal of consent goes as a notice: the subject as the agreement knows it, and the consent.
            (record, fields) = try (isWithdrawal ? agreement.withdrawalNotice : agreement).share(
                full, pseudonymKey: target.pseudonymKey)
        } catch {
            return .settled(dead(claim, "cannot prepare the record", ["\(error)"], log))
        }
        let context = DeliveryContext(
            idempotencyKey: claim.idempotencyKey, remoteId: claim.remoteId, attempt: claim.attempt,
            changedFields: claim.changedFields)
        return .ready(
            Send(
                claim: claim, target: target, record: record, context: context, log: log, fields: fields,
                isProbe: isProbe, roundStarted: now))
    }

    /// Whether a stored record is a person whose consent is withdrawn (`NewRecord.isWithdrawal`).
    static func isWithdrawal(_ full: JSONValue) -> Bool {
        guard case .object(let object) = full, object["recordType"] == .string("person"),
            case .object(let consent)? = object["consent"]
        else { return false }
        return consent["status"] == .string("withdrawn")
    }

    /// Tells the loop guard of the sources that pull from a destination what this round is about to write
    /// there, before it is written: a pull running meanwhile must not take the write for a partner's change.
    /// A write that then fails leaves the memory of a value the gateway meant to write, which at most keeps
    /// that same value, should the partner enter it, from being sent back where it came from.
    private func recordWrites(_ prepared: [Prepared]) throws {
        guard let sources = store as? any SourceStore else { return }
        var writes: [HeldFields] = []
        for case .ready(let send) in prepared where !send.target.pulledBy.isEmpty {
            guard let key = send.claim.recordKey,
                let view = send.target.destination.heldView(of: send.record, context: send.context)
            else { continue }
            writes.append(
                HeldFields(
                    sources: send.target.pulledBy, recordKey: key,
                    fieldHashes: FieldHashes.of(view, key: sources.fieldHashKey)))
        }
        guard !writes.isEmpty else { return }
        try sources.recordWrites(writes, now: Date().timeIntervalSince1970)
    }

    /// Back to the queue, the attempt not counted: the destination is paused, or the round could not go.
    private func released(_ claim: ClaimedDelivery, reason: String = "destination paused") -> DeliveryOutcome {
        DeliveryOutcome(
            delivery: claim, result: .release(reason: reason, nextAttempt: Date().timeIntervalSince1970 + 60))
    }

    private func deliver(_ send: Send) -> DeliveryOutcome {
        // An earlier delivery of this round may have found the credentials refused.
        if !send.isProbe && isPaused(send.target.name) { return released(send.claim) }
        let started = Date()
        let result = send.target.destination.deliver(send.record, context: send.context)
        metrics.observe(
            "primes_delivery_seconds", [("destination", send.target.name)],
            seconds: Date().timeIntervalSince(started))
        return outcome(of: result, claim: send.claim, target: send.target, log: send.log, round: send.roundStarted)
    }

    private func outcome(
        of result: DeliveryResult, claim: ClaimedDelivery, target: Target, log: Logger, round: Double
    ) -> DeliveryOutcome {
        let now = Date().timeIntervalSince1970
        switch result {
        case .delivered(let remoteId), .unchanged(let remoteId):
            if resume(target.name) { log.notice("destination.resumed", ["reason": .safe("a probe was accepted")]) }
            metrics.increment("primes_deliveries_total", [("destination", target.name), ("outcome", "delivered")])
            log.debug("delivery.delivered", ["attempt": .count(claim.attempt)])
            return DeliveryOutcome(delivery: claim, result: .delivered(remoteId: remoteId))
        case .retryable(let reason, let retryAfter):
            if target.retry.isExhausted(afterAttempt: claim.attempt) {
                return dead(claim, "gave up after \(claim.attempt) attempts: \(reason)", [], log)
            }
            let delay = target.retry.delay(afterAttempt: claim.attempt, retryAfter: retryAfter)
            metrics.increment("primes_deliveries_total", [("destination", target.name), ("outcome", "retry")])
            metrics.increment("primes_retries_total", [("destination", target.name)])
            log.info("delivery.retry", ["attempt": .count(claim.attempt), "delay.ms": .milliseconds(delay)])
            return DeliveryOutcome(delivery: claim, result: .retry(reason: reason, nextAttempt: now + delay))
        case .permanent(let reason, let details):
            return dead(claim, reason, details, log)
        case .authenticationFailed(let reason):
            pause(target.name, now: round)
            log.error("destination.paused", ["reason": .safe("authentication failed")])
            return DeliveryOutcome(delivery: claim, result: .release(reason: reason, nextAttempt: now + 60))
        }
    }

    private func dead(_ claim: ClaimedDelivery, _ reason: String, _ details: [String], _ log: Logger)
        -> DeliveryOutcome
    {
        metrics.increment("primes_deliveries_total", [("destination", claim.destination), ("outcome", "dead")])
        metrics.increment("primes_dead_letters_total", [("destination", claim.destination)])
        log.notice("delivery.dead", ["attempt": .count(claim.attempt)])
        return DeliveryOutcome(delivery: claim, result: .dead(reason: reason, details: details))
    }

    private func isPaused(_ name: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return paused[name] != nil
    }

    /// Whether a delivery to a destination may be sent now.
    private enum Admission {
        /// The destination is not paused.
        case open
        /// It is paused and this delivery is its probe.
        case probe
        /// It is paused and the delivery waits.
        case paused
    }

    /// Whether a delivery to `name` may be sent at `now`. Taking the probe pushes the next probe's time on, so
    /// that one goes at a time.
    private func admission(to name: String, now: Double) -> Admission {
        lock.lock()
        defer { lock.unlock() }
        guard let probeAt = paused[name] else { return .open }
        guard now >= probeAt else { return .paused }
        paused[name] = now + settings.pauseProbeSeconds
        return .probe
    }

    private func pause(_ name: String, now: Double) {
        lock.lock()
        defer { lock.unlock() }
        paused[name] = now + settings.pauseProbeSeconds
    }

    /// Ends the pause of `name`; true when it was paused.
    private func resume(_ name: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return paused.removeValue(forKey: name) != nil
    }

    // MARK: - Workers

    /// Starts `settings.workers` threads that deliver until `stop()`.
    public func start() {
        for index in 0..<settings.workers {
            finished.enter()
            let thread = Thread { [self] in
                defer { finished.leave() }
                workerLoop()
            }
            thread.name = "delivery-\(index)"
            threads.append(thread)
            thread.start()
        }
    }

    /// Asks the workers to stop after their current round and waits for them.
    public func stop() {
        lock.lock()
        stopping = true
        lock.unlock()
        finished.wait()
    }

    private var shouldStop: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    private func workerLoop() {
        while !shouldStop {
            do {
                if try deliverDue() == 0 { Thread.sleep(forTimeInterval: settings.pollSeconds) }
            } catch {
                logger.error("delivery.store_failed", ["error": .safe("\(error)")])
                Thread.sleep(forTimeInterval: max(settings.pollSeconds, 1))
            }
        }
    }

    /// Updates the queue-depth gauge from the store.
    public func refreshQueueDepth() {
        guard let counts = try? store.counts() else { return }
        for count in counts {
            metrics.set(
                "primes_queue_depth", [("destination", count.destination), ("state", count.state.rawValue)],
                to: Double(count.count))
        }
    }
}
