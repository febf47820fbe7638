import HTTPServer

extension GatewayAPI {
    /// `GET /v1/sources`: each configured source with its schedule and its state (last poll, cursor,
    /// counters, last error). Counts and names only, no record.
    func sources() -> HTTPResponse {
        guard let store = runtime.store as? any SourceStore else {
            return APIErrorList.response(501, "not_implemented", SyncError.storeWithoutCursors.description)
        }
        do {
            let stored = try store.sourceStatuses()
            let sources = runtime.configuration.sources.map { source in
                SourceView(
                    name: source.name, kind: source.kind.rawValue, format: source.format,
                    intervalSeconds: source.schedule.intervalSeconds, jitterSeconds: source.schedule.jitterSeconds,
                    status: stored.first { $0.source == source.name } ?? SourceStatus(source: source.name))
            }
            return .json(200, ["sources": sources])
        } catch {
            return APIErrorList.response(503, "store_unavailable", "the store cannot be read")
        }
    }
}

/// One source as `GET /v1/sources` shows it.
struct SourceView: Encodable {
    var name: String
    var kind: String
    var format: String
    var intervalSeconds: Double
    var jitterSeconds: Double
    var status: SourceStatus
}
