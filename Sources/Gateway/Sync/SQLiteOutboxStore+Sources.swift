import Foundation

extension SQLiteOutboxStore: SourceStore {
    public func processedFile(source: String, checksum: String) throws -> ProcessedFile? {
        try locked {
            try connection.query(SourceSQL.processedFile, [.text(source), .text(checksum)]).first.flatMap {
                SourceSQL.processedFile($0, checksum: checksum)
            }
        }
    }

    public func commitPull(_ pull: SourcePull, now: Double) throws -> PullSummary {
        try locked {
            try connection.transaction {
                try connection.query(SourceSQL.ensureSourceRow, [.text(pull.source)])
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
                if let parameters = SourceSQL.fileParameters(pull, batch: batchId, now: now) {
                    try connection.query(SourceSQL.insertFile, parameters)
                }
                try connection.query(SourceSQL.addCounters, SourceSQL.counterParameters(pull, sorting))
                return sorting.summary(batch: batchId)
            }
        }
    }

    public func recordWrites(_ writes: [HeldFields], now: Double) throws {
        try locked {
            try connection.transaction {
                for held in writes {
                    for source in held.sources {
                        var hashes = try heldSubject(source: source, key: held.recordKey)?.fieldHashes ?? [:]
                        hashes.merge(held.fieldHashes) { _, written in written }
                        try connection.query(
                            SourceSQL.recordWritten,
                            [.text(source), .text(held.recordKey), .text(FieldHashes.text(hashes)), .real(now)])
                    }
                }
            }
        }
    }

    public func recordPoll(source: String, now: Double, error: String?) throws {
        try locked {
            try connection.transaction {
                try connection.query(SourceSQL.ensureSourceRow, [.text(source)])
                try connection.query(
                    SourceSQL.recordPoll, [.real(now), error.map(SQLValue.text) ?? .null, .text(source)])
            }
        }
    }

    public func sourceStatuses() throws -> [SourceStatus] {
        try locked { try connection.query(SourceSQL.statuses).map(SourceSQL.status) }
    }

    private func heldSubject(source: String, key: String) throws -> HeldSubject? {
        try connection.query(
            "SELECT record_key, content_hash, field_hashes, written_at FROM source_records "
                + "WHERE source = ?1 AND record_key = ?2",
            [.text(source), .text(key)]
        ).first.flatMap(SourceSQL.heldSubject)?.held
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
