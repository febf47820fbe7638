import Foundation

extension SQLiteOutboxStore: SourceStore {
    public func processedFile(source: String, checksum: String) throws -> ProcessedFile? {
        try locked {
            guard
                let row = try connection.query(
                    "SELECT name, outcome, batch_id FROM source_files WHERE source = ?1 AND checksum = ?2",
                    [.text(source), .text(checksum)]
                ).first, let name = row[0].text
            else { return nil }
            return ProcessedFile(
                name: name, checksum: checksum, outcome: ProcessedFile.Outcome(rawValue: row[1].text ?? "") ?? .done,
                batch: row[2].text)
        }
    }

    public func commitPull(_ pull: SourcePull, now: Double) throws -> PullSummary {
        try locked {
            try connection.transaction {
                try ensureSourceRow(pull.source)
                var batch = pull.batch
                var changed: [NewRecord] = []
                // A subject twice in one pull counts as its last version, as a second pull would.
                var pulledNow: [String: String] = [:]
                for record in batch.records {
                    guard let key = record.key else {
                        changed.append(record)
                        continue
                    }
                    let held = try pulledNow[key] ?? pulledHash(source: pull.source, key: key)
                    guard held != record.contentHash else { continue }
                    pulledNow[key] = record.contentHash
                    changed.append(record)
                }
                let unchanged = batch.records.count - changed.count
                batch.records = changed
                var batchId: String?
                if !changed.isEmpty {
                    _ = try insert(batch)
                    batchId = batch.id
                }
                for (key, hash) in pulledNow {
                    try connection.query(
                        "INSERT INTO source_records (source, record_key, content_hash, pulled_at) "
                            + "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (source, record_key) DO UPDATE SET "
                            + "content_hash = excluded.content_hash, pulled_at = excluded.pulled_at",
                        [.text(pull.source), .text(key), .text(hash), .real(now)])
                }
                if let file = pull.file {
                    try connection.query(
                        "INSERT INTO source_files (source, checksum, name, outcome, batch_id, processed_at) "
                            + "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        [
                            .text(pull.source), .text(file.checksum), .text(file.name), .text(file.outcome.rawValue),
                            batchId.map(SQLValue.text) ?? .null, .real(now),
                        ])
                }
                let fileCounts: (Int64, Int64) =
                    switch pull.file?.outcome {
                    case .none: (0, 0)
                    case .done: (1, 0)
                    case .rejected: (1, 1)
                    }
                try connection.query(
                    "UPDATE source_state SET records_pulled = records_pulled + ?1, "
                        + "records_enqueued = records_enqueued + ?2, records_unchanged = records_unchanged + ?3, "
                        + "records_rejected = records_rejected + ?4, files_processed = files_processed + ?5, "
                        + "files_rejected = files_rejected + ?6, last_file = COALESCE(?7, last_file), "
                        + "cursor = COALESCE(?8, cursor) WHERE source = ?9",
                    [
                        .integer(Int64(pull.batch.records.count)), .integer(Int64(changed.count)),
                        .integer(Int64(unchanged)), .integer(Int64(pull.batch.rejectedCount)), .integer(fileCounts.0),
                        .integer(fileCounts.1), pull.file.map { .text($0.name) } ?? .null,
                        pull.cursor.map(SQLValue.text) ?? .null, .text(pull.source),
                    ])
                return PullSummary(batch: batchId, enqueued: changed.count, unchanged: unchanged)
            }
        }
    }

    public func recordPoll(source: String, now: Double, error: String?) throws {
        try locked {
            try connection.transaction {
                try ensureSourceRow(source)
                try connection.query(
                    "UPDATE source_state SET last_poll_at = ?1, last_error = ?2 WHERE source = ?3",
                    [.real(now), error.map(SQLValue.text) ?? .null, .text(source)])
            }
        }
    }

    public func sourceStatuses() throws -> [SourceStatus] {
        try locked {
            try connection.query(
                "SELECT source, last_poll_at, last_error, cursor, last_file, records_pulled, records_enqueued, "
                    + "records_unchanged, records_rejected, files_processed, files_rejected FROM source_state "
                    + "ORDER BY source"
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
                return status
            }
        }
    }

    private func pulledHash(source: String, key: String) throws -> String? {
        try connection.query(
            "SELECT content_hash FROM source_records WHERE source = ?1 AND record_key = ?2",
            [.text(source), .text(key)]
        ).first?.first?.text
    }

    /// Creates the source's counters row when it has none; inside the caller's transaction.
    private func ensureSourceRow(_ source: String) throws {
        try connection.query(
            "INSERT INTO source_state (source, records_pulled, records_enqueued, records_unchanged, "
                + "records_rejected, files_processed, files_rejected) VALUES (?1, 0, 0, 0, 0, 0, 0) "
                + "ON CONFLICT (source) DO NOTHING",
            [.text(source)])
    }
}

/// The tables of the sources' cursors, step 3 of `OutboxMigrations`. Only the SQLite store reads and writes
/// them so far; PostgreSQL gets the tables so that a later `SourceStore` conformance needs no new step.
enum SourceSchema {
    static var postgresStatements: [String] {
        statements.map { $0.replacingOccurrences(of: " REAL", with: " DOUBLE PRECISION") }
    }

    static let statements = [
        """
        CREATE TABLE IF NOT EXISTS source_state (source TEXT PRIMARY KEY, last_poll_at REAL, last_error TEXT,
            cursor TEXT, last_file TEXT, records_pulled INTEGER NOT NULL, records_enqueued INTEGER NOT NULL,
            records_unchanged INTEGER NOT NULL, records_rejected INTEGER NOT NULL,
            files_processed INTEGER NOT NULL, files_rejected INTEGER NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS source_files (source TEXT NOT NULL, checksum TEXT NOT NULL, name TEXT NOT NULL,
            outcome TEXT NOT NULL, batch_id TEXT, processed_at REAL NOT NULL, PRIMARY KEY (source, checksum))
        """,
        """
        CREATE TABLE IF NOT EXISTS source_records (source TEXT NOT NULL, record_key TEXT NOT NULL,
            content_hash TEXT NOT NULL, pulled_at REAL NOT NULL, PRIMARY KEY (source, record_key))
        """,
    ]
}
