import Foundation

/// The sources' cursors on PostgreSQL, so that sync works with several instances on one database. A pull is
/// committed in one transaction, as on SQLite; the source's state row is locked first (`FOR UPDATE`), so
/// that two instances polling the same source at once commit one after the other and the second sees the
/// first one's subjects.
extension PostgresOutboxStore: SourceStore {
    public func processedFile(source: String, checksum: String) throws -> ProcessedFile? {
        try withTransaction { connection in
            try connection.query(OutboxSQL.postgres(SourceSQL.processedFile), [.text(source), .text(checksum)])
                .first.flatMap { SourceSQL.processedFile($0, checksum: checksum) }
        }
    }

    public func commitPull(_ pull: SourcePull, now: Double) throws -> PullSummary {
        try withTransaction { connection in
            try Self.lockSourceRow(pull.source, on: connection)
            var batch = pull.batch
            let keys = Array(Set(batch.records.compactMap(\.key)))
            let stored = try Self.heldSubjects(source: pull.source, keys: keys, on: connection)
            var sorting = PulledSubjects(pull: pull)
            for record in batch.records {
                sorting.take(record, held: record.key.flatMap { sorting.updates[$0] ?? stored[$0] })
            }
            batch.records = sorting.changed
            var batchId: String?
            if !sorting.changed.isEmpty {
                _ = try insert(batch, on: connection)
                batchId = batch.id
            }
            let updates = sorting.updates.sorted { $0.key < $1.key }
            if !updates.isEmpty {
                try connection.query(
                    """
                    INSERT INTO source_records (source, record_key, content_hash, pulled_at, field_hashes, written_at)
                    SELECT $1, input.record_key, input.content_hash, $2, input.field_hashes, NULL
                    FROM unnest($3::text[], $4::text[], $5::text[]) AS input(record_key, content_hash, field_hashes)
                    ON CONFLICT (source, record_key) DO UPDATE SET content_hash = excluded.content_hash,
                        pulled_at = excluded.pulled_at, field_hashes = excluded.field_hashes, written_at = NULL
                    """,
                    [
                        .text(pull.source), .real(now), .text(PostgresArray.text(updates.map(\.key))),
                        .text(PostgresArray.text(updates.map { $0.value.contentHash ?? "" })),
                        .text(PostgresArray.text(updates.map { $0.value.fieldHashes.map(FieldHashes.text) })),
                    ])
            }
            if let parameters = SourceSQL.fileParameters(pull, batch: batchId, now: now) {
                try connection.query(OutboxSQL.postgres(SourceSQL.insertFile), parameters)
            }
            try connection.query(
                OutboxSQL.postgres(SourceSQL.addCounters), SourceSQL.counterParameters(pull, sorting))
            return sorting.summary(batch: batchId)
        }
    }

    public func recordPoll(source: String, now: Double, error: String?) throws {
        try withTransaction { connection in
            try Self.lockSourceRow(source, on: connection)
            try connection.query(
                OutboxSQL.postgres(SourceSQL.recordPoll),
                [.real(now), error.map(SQLValue.text) ?? .null, .text(source)])
        }
    }

    public func sourceStatuses() throws -> [SourceStatus] {
        try withTransaction { connection in
            try connection.query(OutboxSQL.postgres(SourceSQL.statuses)).map(SourceSQL.status)
        }
    }

    public func recordWrites(_ writes: [HeldFields], now: Double) throws {
        try withTransaction { connection in
            // In key order, so that two instances recording writes at once wait rather than deadlock.
            for held in writes.sorted(by: { $0.recordKey < $1.recordKey }) {
                try recordHeld(held, now: now, on: connection)
            }
        }
    }

    /// Lays the fields a delivery writes over each pulling source's memory of the subject; inside the
    /// caller's transaction.
    private func recordHeld(_ held: HeldFields, now: Double, on connection: PostgresConnection) throws {
        for source in held.sources {
            var hashes =
                try Self.heldSubjects(source: source, keys: [held.recordKey], on: connection)[held.recordKey]?
                .fieldHashes ?? [:]
            hashes.merge(held.fieldHashes) { _, written in written }
            try connection.query(
                OutboxSQL.postgres(SourceSQL.recordWritten),
                [.text(source), .text(held.recordKey), .text(FieldHashes.text(hashes)), .real(now)])
        }
    }

    /// What the cursor holds for each of `keys`, in one query.
    private static func heldSubjects(source: String, keys: [String], on connection: PostgresConnection) throws
        -> [String: HeldSubject]
    {
        guard !keys.isEmpty else { return [:] }
        let rows = try connection.query(
            "SELECT record_key, content_hash, field_hashes, written_at FROM source_records "
                + "WHERE source = $1 AND record_key = ANY($2::text[])",
            [.text(source), .text(PostgresArray.text(keys))])
        return Dictionary(rows.compactMap(SourceSQL.heldSubject)) { first, _ in first }
    }

    /// Creates the source's counters row when it has none and locks it until the transaction ends.
    private static func lockSourceRow(_ source: String, on connection: PostgresConnection) throws {
        try connection.query(OutboxSQL.postgres(SourceSQL.ensureSourceRow), [.text(source)])
        _ = try connection.query("SELECT source FROM source_state WHERE source = $1 FOR UPDATE", [.text(source)])
    }
}
