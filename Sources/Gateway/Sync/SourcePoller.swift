import Adapters
import Foundation

/// Runs one poll of a configured source against a runtime's store, and notes the poll in the source's state.
public struct SourcePoller: Sendable {
    public let runtime: GatewayRuntime
    public let readers: PullReaders

    public init(runtime: GatewayRuntime, readers: PullReaders = PullReaders()) {
        self.runtime = runtime
        self.readers = readers
    }

    /// Whether polls of `source` can be made: directory sources always, partner systems when their
    /// reader was given.
    public func canPoll(_ source: GatewayConfiguration.Source) -> Bool {
        source.kind == .directory || readers.byKind[source.kind] != nil
    }

    /// The store's source cursors; only stores that keep them can sync.
    public var store: any SourceStore {
        get throws(SyncError) {
            guard let store = runtime.store as? any SourceStore else { throw .storeWithoutCursors }
            return store
        }
    }

    /// Polls the source named `name` once. A failed poll is noted in the source's state and rethrown.
    public func poll(_ name: String) throws -> PollReport {
        let configuration = runtime.configuration
        guard let source = configuration.source(named: name) else {
            throw SyncError.unknownSource(name, known: configuration.sources.map(\.name))
        }
        let store = try self.store
        let metrics = runtime.metrics
        let started = Date()
        defer {
            metrics.observe(
                "primes_source_poll_seconds", [("source", name)], seconds: Date().timeIntervalSince(started))
        }
        do {
            let report: PollReport
            switch source.kind {
            case .directory:
                report = try DirectorySource(
                    source: source, destinations: configuration.destinations(forSource: source),
                    environment: runtime.environment, store: store
                ).poll()
            case .ping, .primero:
                guard let open = readers.byKind[source.kind] else {
                    throw SyncError.kindNotPollable(source: source.name, kind: source.kind.rawValue)
                }
                report = try PartnerSource(
                    source: source, destinations: configuration.destinations(forSource: source),
                    origins: configuration.destinations(pulledBy: source).map(\.name),
                    environment: runtime.environment, store: store, open: open
                ).poll()
            }
            try store.recordPoll(source: name, now: Date().timeIntervalSince1970, error: nil)
            metrics.increment("primes_source_polls_total", [("source", name), ("result", "ok")])
            for (outcome, count) in [
                ("enqueued", report.enqueued), ("unchanged", report.unchanged), ("rejected", report.rejected),
                ("echoed", report.echoed),
            ] where count > 0 {
                metrics.increment(
                    "primes_source_records_total", [("source", name), ("outcome", outcome)], by: Double(count))
            }
            return report
        } catch {
            // The message names the source, the file and the rule, never a record's values.
            try? store.recordPoll(source: name, now: Date().timeIntervalSince1970, error: "\(error)")
            metrics.increment("primes_source_polls_total", [("source", name), ("result", "failed")])
            throw error
        }
    }
}
