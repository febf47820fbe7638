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
                var sorting = PulledSubjects(pull: pull)
                for record in batch.records {
                    guard let key = record.key else {
                        sorting.take(record, held: nil)
                        continue
                    }
                    let held = try sorting.updates[key] ?? heldSubject(source: pull.source, key: key)
                    sorting.take(record, held: held)
                }
                batch.records = sorting.changed
                var batchId: String?
                if !sorting.changed.isEmpty {
                    _ = try insert(batch)
                    batchId = batch.id
                }
                for (key, subject) in sorting.updates {
                    try connection.query(
                        "INSERT INTO source_records (source, record_key, content_hash, pulled_at, field_hashes, "
                            + "written_at) VALUES (?1, ?2, ?3, ?4, ?5, NULL) ON CONFLICT (source, record_key) "
                            + "DO UPDATE SET content_hash = excluded.content_hash, pulled_at = excluded.pulled_at, "
                            + "field_hashes = excluded.field_hashes, written_at = NULL",
                        [
                            .text(pull.source), .text(key), .text(subject.contentHash ?? ""), .real(now),
                            subject.fieldHashes.map { .text(FieldHashes.text($0)) } ?? .null,
                        ])
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
                let counts = sorting.counts
                try connection.query(
                    "UPDATE source_state SET records_pulled = records_pulled + ?1, "
                        + "records_enqueued = records_enqueued + ?2, records_unchanged = records_unchanged + ?3, "
                        + "records_rejected = records_rejected + ?4, files_processed = files_processed + ?5, "
                        + "files_rejected = files_rejected + ?6, last_file = COALESCE(?7, last_file), "
                        + "cursor = COALESCE(?8, cursor), records_echoed = records_echoed + ?9 WHERE source = ?10",
                    [
                        .integer(counts.pulled), .integer(counts.enqueued), .integer(counts.unchanged),
                        .integer(counts.rejected), .integer(counts.files), .integer(counts.filesRejected),
                        pull.file.map { .text($0.name) } ?? .null, pull.cursor.map(SQLValue.text) ?? .null,
                        .integer(counts.echoed), .text(pull.source),
                    ])
                return sorting.summary(batch: batchId)
            }
        }
    }

    public func recordWrites(_ writes: [HeldFields], now: Double) throws {
        try locked {
            try connection.transaction {
                for held in writes { try recordHeld(held, now: now) }
            }
        }
    }

    /// Lays the fields a delivery writes over each pulling source's memory of the subject; inside the
    /// caller's transaction.
    private func recordHeld(_ held: HeldFields, now: Double) throws {
        for source in held.sources {
            var hashes = try heldSubject(source: source, key: held.recordKey)?.fieldHashes ?? [:]
            hashes.merge(held.fieldHashes) { _, written in written }
            try connection.query(
                "INSERT INTO source_records (source, record_key, content_hash, pulled_at, field_hashes, written_at) "
                    + "VALUES (?1, ?2, '', 0, ?3, ?4) ON CONFLICT (source, record_key) DO UPDATE SET "
                    + "field_hashes = excluded.field_hashes, written_at = excluded.written_at",
                [.text(source), .text(held.recordKey), .text(FieldHashes.text(hashes)), .real(now)])
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
                    + "records_unchanged, records_rejected, files_processed, files_rejected, records_echoed "
                    + "FROM source_state "
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
                status.recordsEchoed = Int(row[11].integer ?? 0)
                return status
            }
        }
    }

    private func heldSubject(source: String, key: String) throws -> HeldSubject? {
        guard
            let row = try connection.query(
                "SELECT content_hash, field_hashes, written_at FROM source_records "
                    + "WHERE source = ?1 AND record_key = ?2",
                [.text(source), .text(key)]
            ).first
        else { return nil }
        return HeldSubject(
            contentHash: row[0].text.flatMap { $0.isEmpty ? nil : $0 }, fieldHashes: FieldHashes.parse(row[1].text),
            writtenAt: row[2].real)
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

/// The tables of the sources' cursors, steps 3 and 4 of `OutboxMigrations`, the same in both stores.
enum SourceSchema {
    /// Step 4: a record's changed fields (a partial update pulled from a partner); per subject, the field
    /// hashes last seen at the source's system and when the gateway last wrote there; the echo counter.
    static let loopGuardStatements = [
        "ALTER TABLE records ADD COLUMN changed_fields TEXT",
        "ALTER TABLE source_records ADD COLUMN field_hashes TEXT",
        "ALTER TABLE source_records ADD COLUMN written_at REAL",
        "ALTER TABLE source_state ADD COLUMN records_echoed INTEGER NOT NULL DEFAULT 0",
    ]

    static var loopGuardPostgresStatements: [String] {
        loopGuardStatements.map { $0.replacingOccurrences(of: " REAL", with: " DOUBLE PRECISION") }
    }

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
