import Foundation
import PrimesLogging

/// Polls every pollable source of the configuration on its schedule, for `serve`.
///
/// Each source has a thread of its own: it is first polled after a random part of its jitter, then every
/// interval plus a new random part of the jitter, so a slow partner delays only its own next poll. (The
/// stores serialise the commits.) A failed poll is logged and kept in the source's state; the next one comes
/// on schedule.
public final class SyncScheduler: @unchecked Sendable {
    private let poller: SourcePoller
    private let sources: [GatewayConfiguration.Source]
    private let logger: Logger
    private let condition = NSCondition()
    private var stopping = false
    private var running = 0

    public init(runtime: GatewayRuntime, readers: PullReaders = PullReaders()) {
        let poller = SourcePoller(runtime: runtime, readers: readers)
        self.poller = poller
        // Sources without a reader are logged once at start.
        sources = runtime.configuration.sources.filter(poller.canPoll)
        logger = runtime.logger
    }

    /// Starts a polling thread per source; does nothing when no source can be polled.
    public func start() {
        for source in poller.runtime.configuration.sources where !poller.canPoll(source) {
            logger.warning(
                "source.not_polled",
                ["source": .safe(source.name), "kind": .safe(source.kind.rawValue), "effect": .safe("no reader")])
        }
        condition.lock()
        running = sources.count
        condition.unlock()
        for source in sources {
            let thread = Thread { [self] in run(source) }
            thread.name = "sync-\(source.name)"
            thread.start()
        }
    }

    /// Stops after the polls in progress, if any, and waits for the threads to end.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
    }

    private func run(_ source: GatewayConfiguration.Source) {
        var due = Date().addingTimeInterval(Double.random(in: 0...source.schedule.jitterSeconds))
        while waitUntil(due) {
            poll(source)
            due = Date().addingTimeInterval(
                source.schedule.intervalSeconds + Double.random(in: 0...source.schedule.jitterSeconds))
        }
        condition.lock()
        running -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until `date`; false when the scheduler is stopping instead.
    private func waitUntil(_ date: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !stopping && Date() < date { _ = condition.wait(until: date) }
        return !stopping
    }

    private func poll(_ source: GatewayConfiguration.Source) {
        let started = Date()
        do {
            let report = try poller.poll(source.name)
            guard !report.files.isEmpty || report.pull != nil else { return }
            logger.info(
                "source.polled",
                [
                    "source": .safe(source.name), "files": .count(report.files.count),
                    "records.enqueued": .count(report.enqueued), "records.unchanged": .count(report.unchanged),
                    "records.rejected": .count(report.rejected),
                    "duration.ms": .milliseconds(Date().timeIntervalSince(started)),
                ])
        } catch {
            logger.error("source.poll_failed", ["source": .safe(source.name), "error": .safe("\(error)")])
        }
    }
}
