import Foundation

/// The sources' cursors on PostgreSQL, so that sync works with several instances on one database. A pull is
/// committed in one transaction, as on SQLite; the source's state row is locked first (`FOR UPDATE`), so
/// that two instances polling the same source at once commit one after the other and the second sees the
/// first one's subjects.
extension PostgresOutboxStore: SourceStore {
    public func processedFile(source: String, checksum: String) throws -> ProcessedFile? {
        try withTransaction { connection in
            guard
                let row = try connection.query(
                    "SELECT name, outcome, batch_id FROM source_files WHERE source = $1 AND checksum = $2",
                    [.text(source), .text(checksum)]
                ).first, let name = row[0].text
            else { return nil }
            return ProcessedFile(
                name: name, checksum: checksum, outcome: ProcessedFile.Outcome(rawValue: row[1].text ?? "") ?? .done,
                batch: row[2].text)
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
            if let file = pull.file {
                try connection.query(
                    "INSERT INTO source_files (source, checksum, name, outcome, batch_id, processed_at) "
                        + "VALUES ($1, $2, $3, $4, $5, $6)",
                    [
                        .text(pull.source), .text(file.checksum), .text(file.name), .text(file.outcome.rawValue),
                        batchId.map(SQLValue.text) ?? .null, .real(now),
                    ])
            }
            let counts = sorting.counts
            try connection.query(
                "UPDATE source_state SET records_pulled = records_pulled + $1, "
                    + "records_enqueued = records_enqueued + $2, records_unchanged = records_unchanged + $3, "
                    + "records_rejected = records_rejected + $4, files_processed = files_processed + $5, "
                    + "files_rejected = files_rejected + $6, last_file = COALESCE($7, last_file), "
                    + "cursor = COALESCE($8, cursor), records_echoed = records_echoed + $9 WHERE source = $10",
                [
                    .integer(counts.pulled), .integer(counts.enqueued), .integer(counts.unchanged),
                    .integer(counts.rejected), .integer(counts.files), .integer(counts.filesRejected),
                    pull.file.map { .text($0.name) } ?? .null, pull.cursor.map(SQLValue.text) ?? .null,
                    .integer(counts.echoed), .text(pull.source),
                ])
            return sorting.summary(batch: batchId)
        }
    }

    public func recordPoll(source: String, now: Double, error: String?) throws {
        try withTransaction { connection in
            try Self.lockSourceRow(source, on: connection)
            try connection.query(
                "UPDATE source_state SET last_poll_at = $1, last_error = $2 WHERE source = $3",
                [.real(now), error.map(SQLValue.text) ?? .null, .text(source)])
        }
    }

    public func sourceStatuses() throws -> [SourceStatus] {
        try withTransaction { connection in
            try connection.query(
                "SELECT source, last_poll_at, last_error, cursor, last_file, records_pulled, records_enqueued, "
                    + "records_unchanged, records_rejected, files_processed, files_rejected, records_echoed "
                    + "FROM source_state ORDER BY source"
            ).map { row in
                var status = SourceStatus(source: row[0].text ?? "")
                status.lastPollAt = row[1].real
                status.lastError = row[2].text
                status.cursor = row[3].text
                status.lastFile = row[4].text
                status.recordsPulled = Int(row[5].integer ?? 0)
                status.recordsEnqueued = Int(row[6].integer ?? 0)
                status.recordsUnchanged = Int(row[7].integer ?? 0)
                status.recordsRejected = Int(row[8].integer ?? 0)
                status.filesProcessed = Int(row[9].integer ?? 0)
                status.filesRejected = Int(row[10].integer ?? 0)
                status.recordsEchoed = Int(row[11].integer ?? 0)
                return status
            }
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
                "INSERT INTO source_records (source, record_key, content_hash, pulled_at, field_hashes, written_at) "
                    + "VALUES ($1, $2, '', 0, $3, $4) ON CONFLICT (source, record_key) DO UPDATE SET "
                    + "field_hashes = excluded.field_hashes, written_at = excluded.written_at",
                [.text(source), .text(held.recordKey), .text(FieldHashes.text(hashes)), .real(now)])
        }
    }

    /// What the cursor holds for each of `keys`, in one query.
    private static func heldSubjects(source: String, keys: [String], on connection: PostgresConnection) throws
        -> [String: HeldSubject]
    {
        guard !keys.isEmpty else { return [:] }
        var held: [String: HeldSubject] = [:]
        for row in try connection.query(
            "SELECT record_key, content_hash, field_hashes, written_at FROM source_records "
                + "WHERE source = $1 AND record_key = ANY($2::text[])",
            [.text(source), .text(PostgresArray.text(keys))])
        {
            guard let key = row[0].text else { continue }
            held[key] = HeldSubject(
                contentHash: row[1].text.flatMap { $0.isEmpty ? nil : $0 },
                fieldHashes: FieldHashes.parse(row[2].text), writtenAt: row[3].real)
        }
        return held
    }

    /// Creates the source's counters row when it has none and locks it until the transaction ends.
    private static func lockSourceRow(_ source: String, on connection: PostgresConnection) throws {
        try connection.query(
            "INSERT INTO source_state (source, records_pulled, records_enqueued, records_unchanged, "
                + "records_rejected, files_processed, files_rejected) VALUES ($1, 0, 0, 0, 0, 0, 0) "
                + "ON CONFLICT (source) DO NOTHING",
            [.text(source)])
        _ = try connection.query("SELECT source FROM source_state WHERE source = $1 FOR UPDATE", [.text(source)])
    }
}
