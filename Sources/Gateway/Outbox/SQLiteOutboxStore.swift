import Foundation

/// The outbox in one SQLite file, the default store.
///
/// The file runs in WAL mode with `synchronous=FULL`: every commit is fsynced before it returns, so a 202
/// means the batch survives a power cut, not only a crash of the process. (`NORMAL` with WAL survives a
/// process crash but may lose the last commits on power loss, which would break the 202 promise.) The
/// gateway keeps throughput by committing many records, or many delivery outcomes, per transaction, and
/// by group commit: batches enqueued at the same time share one transaction and one fsync.
///
/// One connection serves the process behind a lock: SQLite allows one writer at a time anyway, and every
/// method here is a short write transaction.
public final class SQLiteOutboxStore: OutboxStore, GroupCommittingStore, @unchecked Sendable {
    let connection: SQLiteConnection
    private let lock = NSLock()
    /// A second connection for the counts behind `/metrics` and `/readyz`: in WAL mode it reads the last
    /// commit without the writer's lock, so a scrape (a full scan of the deliveries) never holds up ingest
    /// commits or delivery workers.
    private let reader: SQLiteConnection
    private let readerLock = NSLock()
    /// Checkpoints the WAL beside the writer, so that no ingest waits for one.
    private let checkpointer: WALCheckpointer
    /// Concurrent enqueues share a transaction and its fsync (`synchronous=FULL` stays as it is).
    let committer = GroupCommitter<NewBatch, BatchSummary>()
    /// Encrypts payloads at rest when the configuration gives a store key.
    private let seal: PayloadSeal?
    /// Field hashes for the sources' memory of each subject are keyed when payloads are sealed.
    public let fieldHashKey: [UInt8]?

    /// Opens (creating when missing) the store at `path`; with `seal`, payloads are written encrypted.
    public init(path: String, seal: PayloadSeal? = nil) throws {
        self.seal = seal
        fieldHashKey = seal?.derivedKey(for: "primes-gateway field hashes")
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        connection = try SQLiteConnection(path: path)
        try connection.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
        try connection.migrateOutbox()
        reader = try SQLiteConnection(path: path)
        try reader.execute("PRAGMA query_only=ON")
        try connection.execute("PRAGMA wal_autocheckpoint=\(WALCheckpointer.writerThreshold)")
        checkpointer = try WALCheckpointer(path: path)
    }

    deinit {
        checkpointer.stop()
    }

    func locked<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    public func enqueue(_ batch: NewBatch) throws -> BatchSummary {
        try committer.submit(batch) { group in self.commit(group) }
    }

    public func enqueue(
        _ batch: NewBatch, then completion: @escaping @Sendable (Result<BatchSummary, any Error>) -> Void
    ) {
        committer.submit(batch, commitGroup: { group in self.commit(group) }, then: completion)
    }

    /// Writes `batches` in one transaction and commits once, one fsync for the group; a failing batch fails
    /// alone (`SavepointTransaction.commitEach`).
    func commit(_ batches: [NewBatch]) -> [Result<BatchSummary, any Error>] {
        lock.lock()
        defer { lock.unlock() }
        return connection.commitEach(batches, begin: "BEGIN IMMEDIATE", insert)
    }

    /// Inserts one batch inside the caller's transaction.
    func insert(_ batch: NewBatch) throws -> BatchSummary {
        let now = Date().timeIntervalSince1970
        try connection.query(
            Self.insertBatch,
            [
                .text(batch.id), .text(batch.client), .text(batch.sourceFormat), .real(now),
                .integer(Int64(batch.records.count)), .integer(Int64(batch.rejectedCount)),
            ])
        var unchanged = 0
        for (position, record) in batch.records.enumerated() {
            try connection.query(
                Self.insertRecord,
                [
                    .text(batch.id), .integer(Int64(position)), record.key.map(SQLValue.text) ?? .null,
                    .text(record.contentHash), .blob(seal.stored(record.payload, contentHash: record.contentHash)),
                    ChangedFields.column(record.changedFields).map(SQLValue.text) ?? .null,
                ])
            let recordId = connection.lastInsertedRow
            for (destination, held) in try destinations(of: record, in: batch) {
                let isUnchanged = held == record.contentHash
                if isUnchanged { unchanged += 1 }
                try connection.query(
                    Self.insertDelivery,
                    [
                        .integer(recordId), .text(destination),
                        .text(isUnchanged ? DeliveryState.delivered.rawValue : DeliveryState.queued.rawValue),
                        .real(now), .text(Self.idempotencyKey(destination: destination, record: record)),
                        .integer(isUnchanged ? 1 : 0),
                    ])
            }
        }
        return BatchSummary(batch: batch.id, accepted: batch.records.count, unchanged: unchanged)
    }

    // The statements of every ingest, joined once: they key the connection's cache of prepared statements.
    private static let insertBatch =
        "INSERT INTO batches (id, client, source_format, received_at, accepted, rejected) "
        + "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    private static let insertRecord =
        "INSERT INTO records (batch_id, position, record_key, content_hash, payload, changed_fields) "
        + "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    private static let insertDelivery =
        "INSERT INTO deliveries (record_id, destination, state, attempts, next_attempt_at, "
        + "lease_until, idempotency_key, unchanged) VALUES (?1, ?2, ?3, 0, ?4, 0, ?5, ?6)"
    private static let heldHashQuery = "SELECT content_hash FROM crosswalk WHERE destination = ?1 AND record_key = ?2"

    /// Stable for a record's content and destination, so that a partner can drop a repeat after a crash.
    static func idempotencyKey(destination: String, record: NewRecord) -> String {
        sha256Hex(Array("\(destination)\n\(record.contentHash)".utf8))
    }

    /// Where `record` goes, each destination with the content hash the crosswalk says it holds: the batch's
    /// destinations, or for a withdrawal those holding its subject but the batch's origins.
    private func destinations(of record: NewRecord, in batch: NewBatch) throws -> [(String, String?)] {
        guard let key = record.key else { return record.isWithdrawal ? [] : batch.destinations.map { ($0, nil) } }
        guard record.isWithdrawal else {
            return try batch.destinations.map { ($0, try heldHash(destination: $0, key: key)) }
        }
        return try connection.query(OutboxSQL.holders, [.text(key)]).compactMap { row in
            guard let destination = row.first?.text, !batch.origins.contains(destination) else { return nil }
            return (destination, row.last?.text)
        }
    }

    private func heldHash(destination: String, key: String) throws -> String? {
        try connection.query(
            Self.heldHashQuery, [.text(destination), .text(key)]
        ).first?.first?.text
    }

    public func claimDue(limit: Int, lease: Double, now: Double) throws -> [ClaimedDelivery] {
        try locked {
            try connection.transaction {
                // One query per state, each walking the (state, time) index in order and stopping at the
                // limit: a single query with OR would sort every due delivery on every claim.
                var rows: [[SQLValue]] = []
                for (state, column) in [
                    ("delivering", "lease_until"), ("failed", "next_attempt_at"), ("queued", "next_attempt_at"),
                ]
                where rows.count < limit {
                    let wanted = state == "delivering" ? "d.lease_until < ?1" : "d.next_attempt_at <= ?1"
                    rows += try connection.query(
                        "SELECT d.id, d.destination, r.record_key, r.content_hash, r.payload, d.attempts, "
                            + "d.idempotency_key, c.remote_id, c.content_hash, r.changed_fields FROM deliveries d "
                            + "JOIN records r ON r.id = d.record_id "
                            + "LEFT JOIN crosswalk c ON c.destination = d.destination AND c.record_key = r.record_key "
                            + "WHERE d.state = '\(state)' AND \(wanted) ORDER BY d.\(column) LIMIT ?2",
                        [.real(now), .integer(Int64(limit - rows.count))])
                }
                var claimed: [ClaimedDelivery] = []
                for row in rows {
                    guard let id = row[0].integer, let destination = row[1].text, let hash = row[3].text,
                        let key = row[6].text
                    else { continue }
                    try connection.query(
                        "UPDATE deliveries SET state = 'delivering', attempts = attempts + 1, lease_until = ?1 "
                            + "WHERE id = ?2",
                        [.real(now + lease), .integer(id)])
                    let (payload, problem) = seal.opened(row[4].blob ?? [], contentHash: hash)
                    claimed.append(
                        ClaimedDelivery(
                            id: id, destination: destination, recordKey: row[2].text, contentHash: hash,
                            payload: payload, attempt: Int(row[5].integer ?? 0) + 1, idempotencyKey: key,
                            remoteId: row[7].text, heldContentHash: row[8].text,
                            changedFields: ChangedFields.list(row[9].text), unreadablePayload: problem))
                }
                return claimed
            }
        }
    }

    public func complete(_ outcomes: [DeliveryOutcome], now: Double) throws {
        guard !outcomes.isEmpty else { return }
        try locked {
            try connection.transaction {
                for outcome in outcomes { try record(outcome, now: now) }
            }
        }
    }

    private func record(_ outcome: DeliveryOutcome, now: Double) throws {
        let delivery = outcome.delivery
        switch outcome.result {
        case .delivered(let remoteId):
            try connection.query(
                "UPDATE deliveries SET state = 'delivered', last_error = NULL, lease_until = 0 WHERE id = ?1",
                [.integer(delivery.id)])
            if let key = delivery.recordKey {
                try connection.query(
                    "INSERT INTO crosswalk (destination, record_key, remote_id, content_hash, updated_at) "
                        + "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (destination, record_key) DO UPDATE SET "
                        + "remote_id = COALESCE(excluded.remote_id, crosswalk.remote_id), "
                        + "content_hash = excluded.content_hash, updated_at = excluded.updated_at",
                    [
                        .text(delivery.destination), .text(key), remoteId.map(SQLValue.text) ?? .null,
                        .text(delivery.contentHash), .real(now),
                    ])
            }
        case .retry(let reason, let nextAttempt):
            try connection.query(
                "UPDATE deliveries SET state = 'failed', last_error = ?1, next_attempt_at = ?2, lease_until = 0 "
                    + "WHERE id = ?3",
                [.text(reason), .real(nextAttempt), .integer(delivery.id)])
        case .release(let reason, let nextAttempt):
            try connection.query(
                "UPDATE deliveries SET state = 'queued', attempts = attempts - 1, last_error = ?1, "
                    + "next_attempt_at = ?2, lease_until = 0 WHERE id = ?3",
                [.text(reason), .real(nextAttempt), .integer(delivery.id)])
        case .dead(let reason, let details):
            try connection.query(
                "UPDATE deliveries SET state = 'dead', last_error = ?1, lease_until = 0 WHERE id = ?2",
                [.text(reason), .integer(delivery.id)])
            let encodedDetails = String(decoding: try JSONEncoder().encode(details), as: UTF8.self)
            try connection.query(
                "INSERT INTO dead_letters (delivery_id, destination, reason, details, created_at) "
                    + "VALUES (?1, ?2, ?3, ?4, ?5)",
                [.integer(delivery.id), .text(delivery.destination), .text(reason), .text(encodedDetails), .real(now)])
        }
    }

    public func batch(_ id: String) throws -> BatchStatus? {
        try locked {
            guard let head = try connection.query(OutboxSQL.batchHead, [.text(id)]).first else { return nil }
            let rows = try connection.query(OutboxSQL.batchDeliveries, [.text(id)])
            return OutboxSQL.batchStatus(id, head: head, deliveries: rows)
        }
    }

    public func deadLetters(limit: Int) throws -> [DeadLetter] {
        try locked {
            try connection.query(OutboxSQL.deadLetters, [.integer(Int64(limit))]).map(OutboxSQL.deadLetter)
        }
    }

    public func replay(deadLetter id: Int64, now: Double) throws -> Bool {
        try locked {
            try connection.transaction {
                guard
                    let delivery = try connection.query(
                        "SELECT delivery_id FROM dead_letters WHERE id = ?1 AND replayed_at IS NULL "
                            + "AND dismissed_at IS NULL", [.integer(id)]
                    ).first?.first?.integer
                else { return false }
                try connection.query(
                    "UPDATE dead_letters SET replayed_at = ?1 WHERE id = ?2", [.real(now), .integer(id)])
                try connection.query(
                    "UPDATE deliveries SET state = 'queued', attempts = 0, next_attempt_at = ?1, last_error = NULL "
                        + "WHERE id = ?2",
                    [.real(now), .integer(delivery)])
                return true
            }
        }
    }

    public func dismiss(deadLetter id: Int64, now: Double) throws -> Bool {
        try locked {
            try connection.transaction {
                guard
                    let delivery = try connection.query(
                        OutboxSQL.dismissDeadLetter, [.real(now), .integer(id)]
                    ).first?.first?.integer
                else { return false }
                try connection.query(OutboxSQL.dismissDelivery, [.integer(delivery)])
                return true
            }
        }
    }

    /// Records looked for by the reading connection at a time, then emptied in one write transaction: one
    /// statement over the whole store held SQLite's write lock, and so every ingest, for as long as it ran.
    static let eraseChunk = 1000

    public func erasePayloads(receivedBefore: Double) throws -> Int {
        var erased = 0
        while true {
            let candidates: [[SQLValue]]
            readerLock.lock()
            do {
                defer { readerLock.unlock() }
                candidates = try reader.query(
                    OutboxSQL.erasableRecords, [.real(receivedBefore), .integer(Int64(Self.eraseChunk))])
            }
            let ids = candidates.compactMap { $0.first?.integer }
            guard !ids.isEmpty else { break }
            let emptied = try locked {
                try connection.transaction {
                    try ids.reduce(0) { count, id in
                        count + (try connection.query(OutboxSQL.eraseRecord, [.integer(id), .blob([])]).count)
                    }
                }
            }
            erased += emptied
            // A short chunk was the last; one that emptied nothing would only find the same rows again.
            if ids.count < Self.eraseChunk || emptied == 0 { break }
        }
        return erased
    }

    public func pruneBatches(receivedBefore: Double, limit: Int) throws -> Int {
        // Found on the reading connection, so that walking the batches holds no lock the ingest needs; each
        // is looked at again under the write lock before it goes.
        let candidates: [[SQLValue]]
        readerLock.lock()
        do {
            defer { readerLock.unlock() }
            candidates = try reader.query(OutboxSQL.prunableBatches, [.real(receivedBefore), .integer(Int64(limit))])
        }
        guard !candidates.isEmpty else { return 0 }
        return try locked {
            try connection.transaction {
                var pruned = 0
                for id in candidates.compactMap({ $0.first?.text }) {
                    guard try connection.query(OutboxSQL.batchStillWaiting, [.text(id)]).isEmpty else { continue }
                    var deleted: [[SQLValue]] = []
                    for statement in OutboxSQL.pruneBatch { deleted = try connection.query(statement, [.text(id)]) }
                    pruned += deleted.count
                }
                return pruned
            }
        }
    }

    public func counts() throws -> [DeliveryCount] {
        readerLock.lock()
        defer { readerLock.unlock() }
        return try reader.query(OutboxSQL.counts).compactMap(OutboxSQL.deliveryCount)
    }
}

/// The outbox tables. Types and statements are those SQLite and PostgreSQL share, except the row-id keys
/// (`INTEGER PRIMARY KEY` here, `BIGSERIAL` there).
enum OutboxSchema {
    static let statements = [
        """
        CREATE TABLE IF NOT EXISTS batches (id TEXT PRIMARY KEY, client TEXT NOT NULL, source_format TEXT NOT NULL,
            received_at REAL NOT NULL, accepted INTEGER NOT NULL, rejected INTEGER NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS records (id INTEGER PRIMARY KEY, batch_id TEXT NOT NULL REFERENCES batches(id),
            position INTEGER NOT NULL, record_key TEXT, content_hash TEXT NOT NULL, payload BLOB NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS records_by_batch ON records (batch_id, position)",
        """
        CREATE TABLE IF NOT EXISTS deliveries (id INTEGER PRIMARY KEY,
            record_id INTEGER NOT NULL REFERENCES records(id), destination TEXT NOT NULL, state TEXT NOT NULL,
            attempts INTEGER NOT NULL, next_attempt_at REAL NOT NULL, lease_until REAL NOT NULL, last_error TEXT,
            idempotency_key TEXT NOT NULL, unchanged INTEGER NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_attempt_at)",
        "CREATE INDEX IF NOT EXISTS deliveries_leased ON deliveries (state, lease_until)",
        "CREATE INDEX IF NOT EXISTS deliveries_by_record ON deliveries (record_id)",
        """
        CREATE TABLE IF NOT EXISTS crosswalk (destination TEXT NOT NULL, record_key TEXT NOT NULL, remote_id TEXT,
            content_hash TEXT NOT NULL, updated_at REAL NOT NULL, PRIMARY KEY (destination, record_key))
        """,
        """
        CREATE TABLE IF NOT EXISTS dead_letters (id INTEGER PRIMARY KEY,
            delivery_id INTEGER NOT NULL REFERENCES deliveries(id), destination TEXT NOT NULL, reason TEXT NOT NULL,
            details TEXT NOT NULL, created_at REAL NOT NULL, replayed_at REAL)
        """,
    ]
}
