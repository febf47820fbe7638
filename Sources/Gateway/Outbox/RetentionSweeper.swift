import Foundation
import PrimesLogging

/// Empties, on a schedule, the payloads of records every destination has received and that are older than
/// the configured retention: the gateway passes records on, it is not where they are kept. What a batch
/// became (its deliveries, the crosswalk, the disclosure ledger) stays, unless `batchDays` is set: then
/// batches every destination has are deleted once that old, their records and deliveries with them, so that
/// the store stops growing and no record key lingers in it. The crosswalk and the ledger stay either way.
public final class RetentionSweeper: @unchecked Sendable {
    private let store: any OutboxStore
    private let settings: GatewayConfiguration.RetentionSettings
    private let logger: Logger
    private let wake = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var stopping = false
    private let finished = DispatchGroup()
    /// Batches deleted per transaction, so that a sweep of a large backlog never holds the store for long.
    static let pruneChunk = 500

    public init(store: any OutboxStore, settings: GatewayConfiguration.RetentionSettings, logger: Logger) {
        self.store = store
        self.settings = settings
        self.logger = logger
    }

    /// What one sweep did.
    public struct Swept: Sendable, Equatable {
        /// Payloads emptied.
        public var erased: Int
        /// Batches deleted.
        public var pruned: Int
    }

    /// Erases and deletes what is due now.
    @discardableResult
    public func sweep(now: Double = Date().timeIntervalSince1970) throws -> Swept {
        let erased = try store.erasePayloads(receivedBefore: now - settings.payloadDays * 86_400)
        if erased > 0 {
            logger.info(
                "retention.erased",
                ["records": .count(erased), "payload.days": .safe(String(settings.payloadDays))])
        }
        var pruned = 0
        if let batchDays = settings.batchDays {
            // In chunks, each its own transaction, until one comes back short.
            while !isStopping {
                let chunk = try store.pruneBatches(
                    receivedBefore: now - batchDays * 86_400, limit: Self.pruneChunk)
                pruned += chunk
                if chunk < Self.pruneChunk { break }
            }
            if pruned > 0 {
                logger.info("retention.pruned", ["batches": .count(pruned), "batch.days": .safe(String(batchDays))])
            }
        }
        return Swept(erased: erased, pruned: pruned)
    }

    /// Sweeps now and then every `sweepSeconds` on a thread of its own, until `stop()`.
    public func start() {
        finished.enter()
        let thread = Thread { [self] in
            defer { finished.leave() }
            while !isStopping {
                do {
                    try sweep()
                } catch {
                    // The store is unreachable for a moment; the next turn tries again.
                    logger.error("retention.failed", ["error": .safe(String(describing: error))])
                }
                _ = wake.wait(timeout: .now() + settings.sweepSeconds)
            }
        }
        thread.name = "retention"
        thread.start()
    }

    /// Ends the thread and waits for it.
    public func stop() {
        lock.lock()
        let wasStopping = stopping
        stopping = true
        lock.unlock()
        guard !wasStopping else { return }
        wake.signal()
        finished.wait()
    }

    private var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }
}
