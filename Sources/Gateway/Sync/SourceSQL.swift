/// The statements of the sources' cursors that both stores run alike, written once with SQLite's numbered
/// parameters (`?1`); PostgreSQL takes the same text with `$1` (`OutboxSQL.postgres(_:)`).
enum SourceSQL {
    static let ensureSourceRow =
        "INSERT INTO source_state (source, records_pulled, records_enqueued, records_unchanged, "
        + "records_rejected, files_processed, files_rejected) VALUES (?1, 0, 0, 0, 0, 0, 0) "
        + "ON CONFLICT (source) DO NOTHING"

    static let processedFile =
        "SELECT name, outcome, batch_id FROM source_files WHERE source = ?1 AND checksum = ?2"

    static func processedFile(_ row: [SQLValue], checksum: String) -> ProcessedFile? {
        guard let name = row[0].text else { return nil }
        return ProcessedFile(
            name: name, checksum: checksum, outcome: ProcessedFile.Outcome(rawValue: row[1].text ?? "") ?? .done,
            batch: row[2].text)
    }

    static let insertFile =
        "INSERT INTO source_files (source, checksum, name, outcome, batch_id, processed_at) "
        + "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"

    static func fileParameters(_ pull: SourcePull, batch: String?, now: Double) -> [SQLValue]? {
        guard let file = pull.file else { return nil }
        return [
            .text(pull.source), .text(file.checksum), .text(file.name), .text(file.outcome.rawValue),
            batch.map(SQLValue.text) ?? .null, .real(now),
        ]
    }

    static let addCounters =
        "UPDATE source_state SET records_pulled = records_pulled + ?1, "
        + "records_enqueued = records_enqueued + ?2, records_unchanged = records_unchanged + ?3, "
        + "records_rejected = records_rejected + ?4, files_processed = files_processed + ?5, "
        + "files_rejected = files_rejected + ?6, last_file = COALESCE(?7, last_file), "
        + "cursor = COALESCE(?8, cursor), records_echoed = records_echoed + ?9 WHERE source = ?10"

    static func counterParameters(_ pull: SourcePull, _ sorting: PulledSubjects) -> [SQLValue] {
        let counts = sorting.counts
        return [
            .integer(counts.pulled), .integer(counts.enqueued), .integer(counts.unchanged),
            .integer(counts.rejected), .integer(counts.files), .integer(counts.filesRejected),
            pull.file.map { .text($0.name) } ?? .null, pull.cursor.map(SQLValue.text) ?? .null,
            .integer(counts.echoed), .text(pull.source),
        ]
    }

    static let recordPoll = "UPDATE source_state SET last_poll_at = ?1, last_error = ?2 WHERE source = ?3"

    static let statuses =
        "SELECT source, last_poll_at, last_error, cursor, last_file, records_pulled, records_enqueued, "
        + "records_unchanged, records_rejected, files_processed, files_rejected, records_echoed "
        + "FROM source_state ORDER BY source"

    static func status(_ row: [SQLValue]) -> SourceStatus {
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

    /// Lays written field hashes over a subject's memory; a subject never pulled gets an empty content hash.
    static let recordWritten =
        "INSERT INTO source_records (source, record_key, content_hash, pulled_at, field_hashes, written_at) "
        + "VALUES (?1, ?2, '', 0, ?3, ?4) ON CONFLICT (source, record_key) DO UPDATE SET "
        + "field_hashes = excluded.field_hashes, written_at = excluded.written_at"

    /// What the cursor holds of one subject, from `record_key, content_hash, field_hashes, written_at`.
    static func heldSubject(_ row: [SQLValue]) -> (key: String, held: HeldSubject)? {
        guard let key = row[0].text else { return nil }
        return (
            key,
            HeldSubject(
                contentHash: row[1].text.flatMap { $0.isEmpty ? nil : $0 },
                fieldHashes: FieldHashes.parse(row[2].text), writtenAt: row[3].real)
        )
    }
}
