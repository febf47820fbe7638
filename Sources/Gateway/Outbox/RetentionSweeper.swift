import Foundation
import PrimesLogging

/// Empties, on a schedule, the payloads of records every destination has received and that are older than
/// the configured retention: the gateway passes records on, it is not where they are kept. What a batch
/// became (its deliveries, the crosswalk, the disclosure ledger) stays.
public final class RetentionSweeper: @unchecked Sendable {
    private let store: any OutboxStore
    private let settings: GatewayConfiguration.RetentionSettings
    private let logger: Logger
    private let wake = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var stopping = false
    private let finished = DispatchGroup()

    public init(store: any OutboxStore, settings: GatewayConfiguration.RetentionSettings, logger: Logger) {
        self.store = store
        self.settings = settings
        self.logger = logger
    }

    /// Erases what is due now; returns how many payloads it emptied.
    @discardableResult
    public func sweep(now: Double = Date().timeIntervalSince1970) throws -> Int {
        let erased = try store.erasePayloads(receivedBefore: now - settings.payloadDays * 86_400)
        if erased > 0 {
            logger.info(
                "retention.erased",
                ["records": .count(erased), "payload.days": .safe(String(settings.payloadDays))])
        }
        return erased
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
