import Adapters
import Foundation

/// Runs one poll of a configured source against a runtime's store, and notes the poll in the source's state.
public struct SourcePoller: Sendable {
    public let runtime: GatewayRuntime

    public init(runtime: GatewayRuntime) {
        self.runtime = runtime
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
        do {
            let report: PollReport
            switch source.kind {
            case .directory:
                report = try DirectorySource(
                    source: source, destinations: configuration.destinations(forSource: source),
                    environment: runtime.environment, store: store
                ).poll()
            case .ping, .primero:
                throw SyncError.kindNotPollable(source: source.name, kind: source.kind.rawValue)
            }
            try store.recordPoll(source: name, now: Date().timeIntervalSince1970, error: nil)
            return report
        } catch {
            // The message names the source, the file and the rule, never a record's values.
            try? store.recordPoll(source: name, now: Date().timeIntervalSince1970, error: "\(error)")
            throw error
        }
    }
}
