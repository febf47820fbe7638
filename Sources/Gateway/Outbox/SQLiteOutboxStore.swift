import Foundation

/// The outbox in one SQLite file, the default store.
///
/// The file runs in WAL mode with `synchronous=FULL`: every commit is fsynced before it returns, so a 202
/// means the batch survives a power cut, not only a crash of the process. (`NORMAL` with WAL survives a
/// process crash but may lose the last commits on power loss, which would break the 202 promise.) The
/// gateway keeps throughput by committing many records, or many delivery outcomes, per transaction.
///
/// One connection serves the process behind a lock: SQLite allows one writer at a time anyway, and every
/// method here is a short write transaction.
public final class SQLiteOutboxStore: OutboxStore, @unchecked Sendable {
    let connection: SQLiteConnection
    private let lock = NSLock()
    private let commits = NSCondition()
    private var waiting: [PendingBatch] = []
    private var committing = false

    public init(path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        connection = try SQLiteConnection(path: path)
        try connection.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
        try connection.migrateOutbox()
    }

    func locked<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    public func enqueue(_ batch: NewBatch) throws -> BatchSummary {
        let mine = PendingBatch(batch)
        commits.lock()
        defer { commits.unlock() }
        waiting.append(mine)
        // Group commit: the first waiter commits every batch queued meanwhile in one transaction, so that
        // concurrent requests share one fsync; the others wait for its answer.
        while mine.result == nil {
            if committing {
                commits.wait()
                continue
            }
            committing = true
            let group = waiting
            waiting = []
            commits.unlock()
            let results = commit(group.map(\.batch))
            commits.lock()
            for (pending, result) in zip(group, results) { pending.result = result }
            committing = false
            commits.broadcast()
        }
        guard let result = mine.result else { throw StoreError(operation: "enqueue", message: "no result") }
        return try result.get()
    }

    /// Commits `batches` in one transaction; when that fails, each in its own, so one bad batch fails alone.
    private func commit(_ batches: [NewBatch]) -> [Result<BatchSummary, any Error>] {
        let together = Result { try locked { try connection.transaction { try batches.map(insert) } } }
        if case .success(let summaries) = together { return summaries.map { .success($0) } }
        if batches.count == 1, case .failure(let error) = together { return [.failure(error)] }
        return batches.map { batch in Result { try locked { try connection.transaction { try insert(batch) } } } }
    }

    /// Inserts one batch inside the caller's transaction.
    func insert(_ batch: NewBatch) throws -> BatchSummary {
        let now = Date().timeIntervalSince1970
        try connection.query(
            "INSERT INTO batches (id, client, source_format, received_at, accepted, rejected) "
                + "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            [
                .text(batch.id), .text(batch.client), .text(batch.sourceFormat), .real(now),
                .integer(Int64(batch.records.count)), .integer(Int64(batch.rejectedCount)),
            ])
        var unchanged = 0
        for (position, record) in batch.records.enumerated() {
            try connection.query(
                "INSERT INTO records (batch_id, position, record_key, content_hash, payload, changed_fields) "
                    + "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                [
                    .text(batch.id), .integer(Int64(position)), record.key.map(SQLValue.text) ?? .null,
                    .text(record.contentHash), .blob(record.payload),
                    ChangedFields.column(record.changedFields).map(SQLValue.text) ?? .null,
                ])
            let recordId = connection.lastInsertedRow
            for destination in batch.destinations {
                let held = try record.key.map { key in try heldHash(destination: destination, key: key) }
                let isUnchanged = held == record.contentHash
                if isUnchanged { unchanged += 1 }
                try connection.query(
                    "INSERT INTO deliveries (record_id, destination, state, attempts, next_attempt_at, "
                        + "lease_until, idempotency_key, unchanged) VALUES (?1, ?2, ?3, 0, ?4, 0, ?5, ?6)",
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

    /// Stable for a record's content and destination, so that a partner can drop a repeat after a crash.
    static func idempotencyKey(destination: String, record: NewRecord) -> String {
        sha256Hex(Array("\(destination)\n\(record.contentHash)".utf8))
    }

    private func heldHash(destination: String, key: String) throws -> String? {
        try connection.query(
            "SELECT content_hash FROM crosswalk WHERE destination = ?1 AND record_key = ?2",
            [.text(destination), .text(key)]
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
                    claimed.append(
                        ClaimedDelivery(
                            id: id, destination: destination, recordKey: row[2].text, contentHash: hash,
                            payload: row[4].blob ?? [], attempt: Int(row[5].integer ?? 0) + 1, idempotencyKey: key,
                            remoteId: row[7].text, heldContentHash: row[8].text,
                            changedFields: ChangedFields.list(row[9].text)))
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
            guard
                let head = try connection.query(
                    "SELECT client, source_format, received_at, accepted, rejected FROM batches WHERE id = ?1",
                    [.text(id)]
                ).first
            else { return nil }
            let rows = try connection.query(
                "SELECT r.position, d.destination, d.state, d.attempts, d.last_error, d.unchanged "
                    + "FROM records r JOIN deliveries d ON d.record_id = r.id WHERE r.batch_id = ?1 "
                    + "ORDER BY r.position, d.destination",
                [.text(id)])
            var records: [BatchStatus.Record] = []
            for row in rows {
                let position = Int(row[0].integer ?? 0)
                let delivery = BatchStatus.Delivery(
                    destination: row[1].text ?? "", state: DeliveryState(rawValue: row[2].text ?? "") ?? .queued,
                    attempts: Int(row[3].integer ?? 0), lastError: row[4].text, unchanged: row[5].integer == 1)
                if records.last?.position == position {
                    records[records.count - 1].deliveries.append(delivery)
                } else {
                    records.append(BatchStatus.Record(position: position, deliveries: [delivery]))
                }
            }
            return BatchStatus(
                batch: id, client: head[0].text ?? "", format: head[1].text ?? "", receivedAt: head[2].real ?? 0,
                accepted: Int(head[3].integer ?? 0), rejected: Int(head[4].integer ?? 0), records: records)
        }
    }

    public func deadLetters(limit: Int) throws -> [DeadLetter] {
        try locked {
            try connection.query(
                "SELECT l.id, l.delivery_id, r.batch_id, l.destination, l.reason, l.details, l.created_at "
                    + "FROM dead_letters l JOIN deliveries d ON d.id = l.delivery_id "
                    + "JOIN records r ON r.id = d.record_id WHERE l.replayed_at IS NULL ORDER BY l.id LIMIT ?1",
                [.integer(Int64(limit))]
            ).map { row in
                let details = (row[5].text).flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
                return DeadLetter(
                    id: row[0].integer ?? 0, delivery: row[1].integer ?? 0, batch: row[2].text ?? "",
                    destination: row[3].text ?? "", reason: row[4].text ?? "", details: details ?? [],
                    createdAt: row[6].real ?? 0)
            }
        }
    }

    public func replay(deadLetter id: Int64, now: Double) throws -> Bool {
        try locked {
            try connection.transaction {
                guard
                    let delivery = try connection.query(
                        "SELECT delivery_id FROM dead_letters WHERE id = ?1 AND replayed_at IS NULL", [.integer(id)]
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

    public func counts() throws -> [DeliveryCount] {
        try locked {
            try connection.query(
                "SELECT destination, state, COUNT(*) FROM deliveries GROUP BY destination, state "
                    + "ORDER BY destination, state"
            ).compactMap { row in
                guard let destination = row[0].text, let state = row[1].text.flatMap(DeliveryState.init) else {
                    return nil
                }
                return DeliveryCount(destination: destination, state: state, count: Int(row[2].integer ?? 0))
            }
        }
    }
}

/// A batch waiting for the group commit, and then its outcome.
private final class PendingBatch {
    let batch: NewBatch
    var result: Result<BatchSummary, any Error>?

    init(_ batch: NewBatch) {
        self.batch = batch
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
