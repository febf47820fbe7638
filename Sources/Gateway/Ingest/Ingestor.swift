import Adapters
import Foundation
import PrimesModel

/// Reads a document of any registered format, validates it, and stores the accepted records durably with
/// one delivery per routed destination.
public struct Ingestor: Sendable {
    public let environment: AdapterEnvironment
    public let store: any OutboxStore
    public let configuration: GatewayConfiguration

    public init(environment: AdapterEnvironment, store: any OutboxStore, configuration: GatewayConfiguration) {
        self.environment = environment
        self.store = store
        self.configuration = configuration
    }

    /// What one ingest did: the batch id, how many records were stored, and each rejected record's problems.
    public struct Result: Sendable, Codable, Equatable {
        public var batch: String
        public var accepted: Int
        public var rejected: [RecordRejection]
        public var unchanged: Int
    }

    /// Ingests every record of `source`. The batch is committed to disk before this returns; when no
    /// record is acceptable nothing is stored and the result's `batch` is empty.
    ///
    /// - Parameters:
    ///   - destinations: the destinations to deliver to; nil uses the configuration's routes for the format.
    /// - Throws: `InputError` when the input as a whole cannot be read, `FormatLookupError` for a format
    ///   that cannot be read, and store errors.
    public func ingest(
        _ source: any ByteSource, format name: String, client: String, destinations: [String]? = nil,
        batchId: String = Ingestor.newBatchId()
    ) throws -> Result {
        let format = try environment.registry.reader(named: name)
        guard let makeReader = format.makeReader else { throw FormatLookupError.cannotRead(name, readable: []) }
        // Measured before the reader takes any bytes: a small body is read on this thread alone.
        let conversion = Conversion(validator: environment.validator, for: source)
        let reader = try makeReader(source, environment.context())
        let encoder = CanonicalJSONEncoding()

        // The whole request is held in memory: bodies are bounded by the server's size limit, and a file
        // given to `push` is read whole (very large files should be split).
        var records: [NewRecord] = []
        var report = ConversionReport(from: name, to: "outbox")
        try conversion.run(reader: reader, writer: nil, report: &report) { item in
            encoder.encode(item.record)
            let payload = encoder.bytes
            records.append(NewRecord(key: item.record.key, contentHash: sha256Hex(payload), payload: payload))
        }

        // A body with no acceptable record stores nothing: there is no batch to follow.
        guard !records.isEmpty else {
            return Result(batch: "", accepted: 0, rejected: report.rejected, unchanged: 0)
        }
        let routed = destinations ?? configuration.destinations(forSourceFormat: name)
        let summary = try store.enqueue(
            NewBatch(
                id: batchId, client: client, sourceFormat: name, records: records, rejectedCount: report.rejectedCount,
                destinations: routed))
        return Result(
            batch: batchId, accepted: summary.accepted, rejected: report.rejected, unchanged: summary.unchanged)
    }

    /// A new batch id: a time-ordered UUID, so that it says nothing about the records and keeps the outbox's
    /// indexes growing at their ends.
    public static func newBatchId() -> String {
        "b-" + Identifiers.timeOrdered()
    }
}
