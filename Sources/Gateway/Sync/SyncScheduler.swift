import Foundation
import PrimesLogging

/// Polls every pollable source of the configuration on its schedule, on one thread, for `serve`.
///
/// Each source is first polled after a random part of its jitter, then every interval plus a new random
/// part of the jitter. Polls run one at a time: a slow source delays the others rather than competing with
/// them for the store's single writer. A failed poll is logged and kept in the source's state; the next one
/// comes on schedule.
public final class SyncScheduler: @unchecked Sendable {
    private let poller: SourcePoller
    private let sources: [GatewayConfiguration.Source]
    private let logger: Logger
    private let condition = NSCondition()
    private var stopping = false
    private var thread: Thread?
    private var finished = false

    public init(runtime: GatewayRuntime, readers: PullReaders = PullReaders()) {
        let poller = SourcePoller(runtime: runtime, readers: readers)
        self.poller = poller
        // Sources without a reader are logged once at start.
        sources = runtime.configuration.sources.filter(poller.canPoll)
        logger = runtime.logger
    }

    /// Starts the polling thread; does nothing when no source can be polled.
    public func start() {
        for source in poller.runtime.configuration.sources where !poller.canPoll(source) {
            logger.warning(
                "source.not_polled",
                ["source": .safe(source.name), "kind": .safe(source.kind.rawValue), "effect": .safe("no reader")])
        }
        guard !sources.isEmpty else { return }
        let thread = Thread { [self] in run() }
        thread.name = "sync-scheduler"
        self.thread = thread
        thread.start()
    }

    /// Stops after the poll in progress, if any, and waits for the thread to end.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while thread != nil && !finished { condition.wait() }
        condition.unlock()
    }

    private func run() {
        let start = Date()
        var due = sources.map { start.addingTimeInterval(Double.random(in: 0...$0.schedule.jitterSeconds)) }
        while true {
            condition.lock()
            guard let next = due.enumerated().min(by: { $0.element < $1.element }) else {
                condition.unlock()
                break
            }
            while !stopping && Date() < next.element { _ = condition.wait(until: next.element) }
            if stopping {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            condition.unlock()
            let source = sources[next.offset]
            poll(source)
            due[next.offset] = Date().addingTimeInterval(
                source.schedule.intervalSeconds + Double.random(in: 0...source.schedule.jitterSeconds))
        }
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
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
