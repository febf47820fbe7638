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
        let prepared = try prepare(
            source, format: name, client: client, destinations: destinations, batchId: batchId)
        guard let batch = prepared.batch else { return prepared.result(nil) }
        return prepared.result(try store.enqueue(batch))
    }

    /// `ingest` without blocking on the commit: reads and validates `source` on the caller's thread, then
    /// `completion` gets the result once the batch is on disk, on a thread of the store's choosing (at once,
    /// on this thread, when nothing is to be stored).
    ///
    /// - Throws: what `ingest` throws before the commit; a failed commit reaches `completion`.
    public func ingest(
        _ source: any ByteSource, format name: String, client: String, batchId: String = Ingestor.newBatchId(),
        then completion: @escaping @Sendable (Swift.Result<Result, any Error>) -> Void
    ) throws {
        let prepared = try prepare(source, format: name, client: client, destinations: nil, batchId: batchId)
        guard let batch = prepared.batch else { return completion(.success(prepared.result(nil))) }
        store.enqueue(batch) { stored in completion(stored.map(prepared.result)) }
    }

    /// A read and validated body: the batch to store (nil when no record is acceptable) and the rejections.
    private struct Prepared: Sendable {
        let batch: NewBatch?
        let rejected: [RecordRejection]

        func result(_ summary: BatchSummary?) -> Result {
            guard let batch, let summary else {
                return Result(batch: "", accepted: 0, rejected: rejected, unchanged: 0)
            }
            return Result(
                batch: batch.id, accepted: summary.accepted, rejected: rejected, unchanged: summary.unchanged)
        }
    }

    private func prepare(
        _ source: any ByteSource, format name: String, client: String, destinations: [String]?, batchId: String
    ) throws -> Prepared {
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
            records.append(
                NewRecord(
                    key: item.record.key, contentHash: sha256Hex(payload), payload: payload,
                    isWithdrawal: item.record.isConsentWithdrawal))
        }

        // A body with no acceptable record stores nothing: there is no batch to follow.
        guard !records.isEmpty else { return Prepared(batch: nil, rejected: report.rejected) }
        let routed = destinations ?? configuration.destinations(forSourceFormat: name)
        let batch = NewBatch(
            id: batchId, client: client, sourceFormat: name, records: records, rejectedCount: report.rejectedCount,
            destinations: routed)
        return Prepared(batch: batch, rejected: report.rejected)
    }

    /// A new batch id: a time-ordered UUID, so that it says nothing about the records and keeps the outbox's
    /// indexes growing at their ends.
    public static func newBatchId() -> String {
        "b-" + Identifiers.timeOrdered()
    }
}
