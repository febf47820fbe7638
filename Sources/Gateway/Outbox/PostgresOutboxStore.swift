import Foundation

/// The outbox on a PostgreSQL server, so that several gateway instances share one queue.
///
/// Instances never hand the same delivery to two workers at once: a claim locks the due rows with
/// `FOR UPDATE SKIP LOCKED` (a concurrent claim passes over them instead of waiting) and marks them
/// `delivering` under a lease. An instance that dies leaves its claims leased; once the lease runs out, any
/// instance claims them again, with the attempt counted. An outcome is recorded only while the claim is
/// still the current one (same delivery, same attempt): a worker that outlived its lease cannot overwrite
/// the outcome of the worker that took the delivery over.
///
/// Connections come from a small pool, opened on demand, so that ingest threads and delivery workers do
/// not queue behind one another; a connection the server dropped is replaced on its next use.
public final class PostgresOutboxStore: OutboxStore, GroupCommittingStore, @unchecked Sendable {
    private let location: PostgresLocation
    /// Records inserted per statement by `enqueue`; bounds the size of one statement's parameters.
    private static let recordsPerStatement = 1000
    private let password: String?
    private let available = NSCondition()
    private var idle: [PostgresConnection] = []
    private var openCount = 0
    /// Concurrent enqueues share one transaction and one commit on one connection. The cost: two large
    /// batches arriving together are written one after the other rather than on two connections at once.
    let committer = GroupCommitter<NewBatch, BatchSummary>()
    /// Encrypts payloads at rest when the configuration gives a store key.
    private let seal: PayloadSeal?
    /// Field hashes for the sources' memory of each subject are keyed when payloads are sealed.
    public let fieldHashKey: [UInt8]?

    /// Opens the store at `url` and brings its schema to the latest version.
    ///
    /// - Parameters:
    ///   - url: `postgres://USER@HOST:PORT/DATABASE?…`; the password is never in it, but in the file named by
    ///     `password_file=` or the environment variable named by `password_env=`. `pool_size=` caps the
    ///     connections of this instance (8 unless given).
    ///   - seal: when given, payloads are written encrypted and read back through it.
    ///   - environment: where `password_env` is looked up.
    public init(
        url: String, seal: PayloadSeal? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        self.seal = seal
        fieldHashKey = seal?.derivedKey(for: "primes-gateway field hashes")
        location = try PostgresLocation(url: url)
        do {
            password = try location.password?.read(environment: environment)
        } catch {
            throw StoreError(operation: "store password", message: error.description)
        }
        try withConnection { connection in try connection.migrateOutbox() }
    }

    // MARK: - Connections

    private func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try checkOut()
        defer { checkIn(connection) }
        return try body(connection)
    }

    func withTransaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try withConnection { connection in try connection.transaction { try body(connection) } }
    }

    private func checkOut() throws -> PostgresConnection {
        available.lock()
        while idle.isEmpty && openCount >= location.poolSize { available.wait() }
        if let connection = idle.popLast() {
            available.unlock()
            return connection
        }
        openCount += 1
        available.unlock()
        do {
            return try PostgresConnection(conninfo: location.conninfo, password: password)
        } catch {
            available.lock()
            openCount -= 1
            available.signal()
            available.unlock()
            throw error
        }
    }

    private func checkIn(_ connection: PostgresConnection) {
        available.lock()
        if connection.isHealthy {
            idle.append(connection)
        } else {
            openCount -= 1
        }
        available.signal()
        available.unlock()
    }

    // MARK: - OutboxStore

    public func enqueue(_ batch: NewBatch) throws -> BatchSummary {
        try committer.submit(batch) { group in self.commit(group) }
    }

    public func enqueue(
        _ batch: NewBatch, then completion: @escaping @Sendable (Result<BatchSummary, any Error>) -> Void
    ) {
        committer.submit(batch, commitGroup: { group in self.commit(group) }, then: completion)
    }

    /// Writes `batches` in one transaction on one connection and commits once; a failing batch fails alone
    /// (`SavepointTransaction.commitEach`).
    func commit(_ batches: [NewBatch]) -> [Result<BatchSummary, any Error>] {
        do {
            return try withConnection { connection in
                connection.commitEach(batches, begin: "BEGIN") { batch in try insert(batch, on: connection) }
            }
        } catch {
            return batches.map { _ in .failure(error) }
        }
    }

    /// Inserts one batch inside the caller's transaction on `connection`.
    func insert(_ batch: NewBatch, on connection: PostgresConnection) throws -> BatchSummary {
        let now = Date().timeIntervalSince1970
        try connection.query(
            "INSERT INTO batches (id, client, source_format, received_at, accepted, rejected) "
                + "VALUES ($1, $2, $3, $4, $5, $6)",
            [
                .text(batch.id), .text(batch.client), .text(batch.sourceFormat), .real(now),
                .integer(Int64(batch.records.count)), .integer(Int64(batch.rejectedCount)),
            ])
        let destinations = SQLValue.text(PostgresArray.text(batch.destinations))
        var unchanged = 0
        var start = 0
        while start < batch.records.count {
            // A withdrawal has destinations of its own (those holding its subject): written on its own.
            if batch.records[start].isWithdrawal {
                unchanged += try insertWithdrawal(batch.records[start], position: start, of: batch, on: connection)
                start += 1
                continue
            }
            var end = start
            while end < batch.records.count && end - start < Self.recordsPerStatement
                && !batch.records[end].isWithdrawal
            {
                end += 1
            }
            let chunk = batch.records[start..<end]
            let payloads = try chunk.enumerated().map { (offset, record) throws(StoreError) -> String in
                try payloadText(record, position: start + offset)
            }
            // Keys by record, then by destination in the batch's order: `(position - start) * count + n`.
            let keys = chunk.flatMap { record in
                batch.destinations.map { SQLiteOutboxStore.idempotencyKey(destination: $0, record: record) }
            }
            // A statement per chunk of records rather than per record: a round trip to the server costs
            // more than the rows. Each record gets a delivery per destination, marked delivered when the
            // crosswalk says the destination already holds this very content.
            let rows = try connection.query(
                """
                WITH record AS (
                    INSERT INTO records (batch_id, position, record_key, content_hash, payload, changed_fields)
                    SELECT $1, input.position, input.record_key, input.content_hash,
                        \(seal == nil ? "convert_to(input.payload, 'UTF8')" : "decode(input.payload, 'base64')"),
                        input.changed_fields
                    FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $11::text[])
                        AS input(position, record_key, content_hash, payload, changed_fields)
                    ORDER BY input.position
                    RETURNING id, position, record_key, content_hash)
                INSERT INTO deliveries (record_id, destination, state, attempts, next_attempt_at, lease_until,
                    idempotency_key, unchanged)
                SELECT record.id, target.destination,
                    CASE WHEN held.content_hash IS NULL THEN 'queued' ELSE 'delivered' END, 0, $6, 0,
                    ($8::text[])[((record.position - $9) * $10 + target.n)::int],
                    CASE WHEN held.content_hash IS NULL THEN 0 ELSE 1 END
                FROM record CROSS JOIN unnest($7::text[]) WITH ORDINALITY AS target(destination, n)
                LEFT JOIN crosswalk held ON held.destination = target.destination
                    AND held.record_key = record.record_key AND held.content_hash = record.content_hash
                ORDER BY record.position, target.n
                RETURNING unchanged
                """,
                [
                    .text(batch.id), .text(PostgresArray.text(chunk.indices.map { String($0) })),
                    .text(PostgresArray.text(chunk.map(\.key))),
                    .text(PostgresArray.text(chunk.map(\.contentHash))), .text(PostgresArray.text(payloads)),
                    .real(now), destinations, .text(PostgresArray.text(keys)), .integer(Int64(start)),
                    .integer(Int64(batch.destinations.count)),
                    .text(PostgresArray.text(chunk.map { ChangedFields.column($0.changedFields) })),
                ])
            unchanged += rows.filter { $0.first?.integer == 1 }.count
            start = end
        }
        return BatchSummary(batch: batch.id, accepted: batch.records.count, unchanged: unchanged)
    }

    /// A payload as the insert statements pass it: sealed payloads as base64 text (the server decodes it),
    /// canonical payloads as the UTF-8 text of their JSON; anything else is refused, never mangled.
    private func payloadText(_ record: NewRecord, position: Int) throws(StoreError) -> String {
        if let seal { return Data(seal.seal(record.payload, contentHash: record.contentHash)).base64EncodedString() }
        guard let text = String(bytes: record.payload, encoding: .utf8) else {
            throw StoreError(operation: "enqueue", message: "record #\(position) is not UTF-8 text")
        }
        return text
    }

    /// Inserts a withdrawal with a delivery to each destination holding its key; returns how many of those
    /// already hold this very content.
    private func insertWithdrawal(
        _ record: NewRecord, position: Int, of batch: NewBatch, on connection: PostgresConnection
    ) throws -> Int {
        let now = Date().timeIntervalSince1970
        let payload = seal == nil ? "convert_to($5, 'UTF8')" : "decode($5, 'base64')"
        let inserted = try connection.query(
            "INSERT INTO records (batch_id, position, record_key, content_hash, payload, changed_fields) "
                + "VALUES ($1, $2, $3, $4, \(payload), $6) RETURNING id",
            [
                .text(batch.id), .integer(Int64(position)), record.key.map(SQLValue.text) ?? .null,
                .text(record.contentHash), .text(try payloadText(record, position: position)),
                ChangedFields.column(record.changedFields).map(SQLValue.text) ?? .null,
            ])
        guard let recordId = inserted.first?.first?.integer, let key = record.key else { return 0 }
        var unchanged = 0
        for row in try connection.query(OutboxSQL.postgres(OutboxSQL.holders) + " FOR SHARE", [.text(key)]) {
            guard let destination = row.first?.text, !batch.origins.contains(destination) else { continue }
            let isUnchanged = row.last?.text == record.contentHash
            if isUnchanged { unchanged += 1 }
            try connection.query(
                "INSERT INTO deliveries (record_id, destination, state, attempts, next_attempt_at, lease_until, "
                    + "idempotency_key, unchanged) VALUES ($1, $2, $3, 0, $4, 0, $5, $6)",
                [
                    .integer(recordId), .text(destination), .text(isUnchanged ? "delivered" : "queued"), .real(now),
                    .text(SQLiteOutboxStore.idempotencyKey(destination: destination, record: record)),
                    .integer(isUnchanged ? 1 : 0),
                ])
        }
        return unchanged
    }

    public func claimDue(limit: Int, lease: Double, now: Double) throws -> [ClaimedDelivery] {
        // One statement, so one short transaction: the locks of SKIP LOCKED are held only while it runs,
        // and from then on the `delivering` state and its lease keep other instances away. Expired leases and
        // waiting deliveries are looked up apart, each along its own partial index in claim order, because
        // one query with OR makes the planner read and sort every due row on each claim. Expired claims go
        // first: they have waited longest.
        let rows = try withConnection { connection in
            try connection.query(
                """
                WITH expired AS (
                    SELECT id, 0 AS rank, lease_until AS since FROM deliveries
                    WHERE state = 'delivering' AND lease_until < $1
                    ORDER BY lease_until LIMIT $2 FOR UPDATE SKIP LOCKED),
                waiting AS (
                    SELECT id, 1 AS rank, next_attempt_at AS since FROM deliveries
                    WHERE state IN ('queued', 'failed') AND next_attempt_at <= $1
                    ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED),
                due AS (
                    SELECT id FROM (SELECT * FROM expired UNION ALL SELECT * FROM waiting) candidates
                    ORDER BY rank, since, id LIMIT $2),
                claimed AS (
                    UPDATE deliveries SET state = 'delivering', attempts = deliveries.attempts + 1, lease_until = $3
                    FROM due WHERE deliveries.id = due.id
                    RETURNING deliveries.id, deliveries.destination, deliveries.record_id, deliveries.attempts,
                        deliveries.idempotency_key, deliveries.next_attempt_at)
                SELECT claimed.id, claimed.destination, r.record_key, r.content_hash, r.payload, claimed.attempts,
                    claimed.idempotency_key, c.remote_id, c.content_hash, r.changed_fields
                FROM claimed JOIN records r ON r.id = claimed.record_id
                LEFT JOIN crosswalk c ON c.destination = claimed.destination AND c.record_key = r.record_key
                ORDER BY claimed.next_attempt_at, claimed.id
                """,
                [.real(now), .integer(Int64(limit)), .real(now + lease)])
        }
        return rows.compactMap { row in
            guard let id = row[0].integer, let destination = row[1].text, let hash = row[3].text,
                let attempt = row[5].integer, let key = row[6].text
            else { return nil }
            let (payload, problem) = seal.opened(row[4].blob ?? [], contentHash: hash)
            return ClaimedDelivery(
                id: id, destination: destination, recordKey: row[2].text, contentHash: hash,
                payload: payload, attempt: Int(attempt), idempotencyKey: key, remoteId: row[7].text,
                heldContentHash: row[8].text, changedFields: ChangedFields.list(row[9].text),
                unreadablePayload: problem)
        }
    }

    public func complete(_ outcomes: [DeliveryOutcome], now: Double) throws {
        guard !outcomes.isEmpty else { return }
        var delivered: [(claim: ClaimedDelivery, remoteId: String?)] = []
        var others: [DeliveryOutcome] = []
        for outcome in outcomes {
            if case .delivered(let remoteId) = outcome.result {
                delivered.append((outcome.delivery, remoteId))
            } else {
                others.append(outcome)
            }
        }
        try withTransaction { connection in
            try recordDelivered(delivered, now: now, on: connection)
            for outcome in others { try record(outcome, now: now, on: connection) }
        }
    }

    /// Records every successful delivery of a round in one statement, the common case: the deliveries whose
    /// claim is still current are marked delivered, and the crosswalk learns what each destination now holds.
    ///
    /// Two deliveries of one subject in the same round leave the later one's content in the crosswalk.
    /// Crosswalk rows are written in (destination, key) order by every instance, so two rounds touching the
    /// same subjects wait for each other instead of deadlocking.
    private func recordDelivered(
        _ delivered: [(claim: ClaimedDelivery, remoteId: String?)], now: Double, on connection: PostgresConnection
    ) throws {
        guard !delivered.isEmpty else { return }
        try connection.query(
            """
            WITH outcome AS (
                SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[])
                    AS o(id, attempt, destination, record_key, remote_id, content_hash)),
            done AS (
                UPDATE deliveries SET state = 'delivered', last_error = NULL, lease_until = 0
                FROM outcome WHERE deliveries.id = outcome.id AND deliveries.state = 'delivering'
                    AND deliveries.attempts = outcome.attempt
                RETURNING deliveries.id)
            INSERT INTO crosswalk (destination, record_key, remote_id, content_hash, updated_at)
            SELECT DISTINCT ON (outcome.destination, outcome.record_key) outcome.destination, outcome.record_key,
                outcome.remote_id, outcome.content_hash, $7
            FROM outcome JOIN done ON done.id = outcome.id
            WHERE outcome.record_key IS NOT NULL
            ORDER BY outcome.destination, outcome.record_key, outcome.id DESC
            ON CONFLICT (destination, record_key) DO UPDATE SET
                remote_id = COALESCE(excluded.remote_id, crosswalk.remote_id),
                content_hash = excluded.content_hash, updated_at = excluded.updated_at
            """,
            [
                .text(PostgresArray.text(delivered.map { String($0.claim.id) })),
                .text(PostgresArray.text(delivered.map { String($0.claim.attempt) })),
                .text(PostgresArray.text(delivered.map(\.claim.destination))),
                .text(PostgresArray.text(delivered.map(\.claim.recordKey))),
                .text(PostgresArray.text(delivered.map(\.remoteId))),
                .text(PostgresArray.text(delivered.map(\.claim.contentHash))),
                .real(now),
            ])
    }

    /// Records one outcome if its claim is still current; a stale one changes nothing.
    private func record(_ outcome: DeliveryOutcome, now: Double, on connection: PostgresConnection) throws {
        let delivery = outcome.delivery
        let claim = "WHERE id = $1 AND state = 'delivering' AND attempts = $2"
        let current: [SQLValue] = [.integer(delivery.id), .integer(Int64(delivery.attempt))]
        switch outcome.result {
        case .delivered(let remoteId):
            try recordDelivered([(delivery, remoteId)], now: now, on: connection)
        case .retry(let reason, let nextAttempt):
            try connection.update(
                "UPDATE deliveries SET state = 'failed', last_error = $3, next_attempt_at = $4, lease_until = 0 "
                    + claim, current + [.text(reason), .real(nextAttempt)])
        case .release(let reason, let nextAttempt):
            try connection.update(
                "UPDATE deliveries SET state = 'queued', attempts = attempts - 1, last_error = $3, "
                    + "next_attempt_at = $4, lease_until = 0 " + claim, current + [.text(reason), .real(nextAttempt)])
        case .dead(let reason, let details):
            let changed = try connection.update(
                "UPDATE deliveries SET state = 'dead', last_error = $3, lease_until = 0 " + claim,
                current + [.text(reason)])
            guard changed == 1 else { return }
            let encodedDetails = String(decoding: try JSONEncoder().encode(details), as: UTF8.self)
            try connection.query(
                "INSERT INTO dead_letters (delivery_id, destination, reason, details, created_at) "
                    + "VALUES ($1, $2, $3, $4, $5)",
                [.integer(delivery.id), .text(delivery.destination), .text(reason), .text(encodedDetails), .real(now)])
        }
    }

    public func batch(_ id: String) throws -> BatchStatus? {
        // One snapshot for the head and the rows, so a batch is never shown half-updated.
        try withTransaction { connection in
            try connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            guard let head = try connection.query(OutboxSQL.postgres(OutboxSQL.batchHead), [.text(id)]).first else {
                return nil
            }
            let rows = try connection.query(OutboxSQL.postgres(OutboxSQL.batchDeliveries), [.text(id)])
            return OutboxSQL.batchStatus(id, head: head, deliveries: rows)
        }
    }

    public func deadLetters(limit: Int) throws -> [DeadLetter] {
        try withConnection { connection in
            try connection.query(OutboxSQL.postgres(OutboxSQL.deadLetters), [.integer(Int64(limit))])
                .map(OutboxSQL.deadLetter)
        }
    }

    public func replay(deadLetter id: Int64, now: Double) throws -> Bool {
        try withTransaction { connection in
            // The row lock makes two operators replaying the same letter at once requeue it once.
            guard
                let delivery = try connection.query(
                    "UPDATE dead_letters SET replayed_at = $1 WHERE id = $2 AND replayed_at IS NULL "
                        + "AND dismissed_at IS NULL RETURNING delivery_id",
                    [.real(now), .integer(id)]
                ).first?.first?.integer
            else { return false }
            try connection.query(
                "UPDATE deliveries SET state = 'queued', attempts = 0, next_attempt_at = $1, last_error = NULL "
                    + "WHERE id = $2",
                [.real(now), .integer(delivery)])
            return true
        }
    }

    public func dismiss(deadLetter id: Int64, now: Double) throws -> Bool {
        try withTransaction { connection in
            // As for a replay, the row lock makes two operators closing the same letter at once close it once.
            guard
                let delivery = try connection.query(
                    OutboxSQL.postgres(OutboxSQL.dismissDeadLetter), [.real(now), .integer(id)]
                ).first?.first?.integer
            else { return false }
            try connection.query(OutboxSQL.postgres(OutboxSQL.dismissDelivery), [.integer(delivery)])
            return true
        }
    }

    public func erasePayloads(receivedBefore: Double) throws -> Int {
        try withConnection { connection in
            try connection.query(
                OutboxSQL.postgres(OutboxSQL.erasePayloads), [.real(receivedBefore), .blob([])]
            ).count
        }
    }

    public func pruneBatches(receivedBefore: Double, limit: Int) throws -> Int {
        let candidates = try withConnection { connection in
            try connection.query(
                OutboxSQL.postgres(OutboxSQL.prunableBatches), [.real(receivedBefore), .integer(Int64(limit))])
        }
        guard !candidates.isEmpty else { return 0 }
        return try withTransaction { connection in
            var pruned = 0
            for id in candidates.compactMap({ $0.first?.text }).sorted() {
                // Locked first, so that no delivery of it changes meanwhile; one another instance's sweep holds
                // is left to that sweep (and ids are taken in order, so two sweeps never wait on each other).
                guard
                    try !connection.query(
                        "SELECT id FROM batches WHERE id = $1 FOR UPDATE SKIP LOCKED", [.text(id)]
                    ).isEmpty,
                    try connection.query(OutboxSQL.postgres(OutboxSQL.batchStillWaiting), [.text(id)]).isEmpty
                else { continue }
                var deleted: [[SQLValue]] = []
                for statement in OutboxSQL.pruneBatch {
                    deleted = try connection.query(OutboxSQL.postgres(statement), [.text(id)])
                }
                pruned += deleted.count
            }
            return pruned
        }
    }

    public func counts() throws -> [DeliveryCount] {
        try withConnection { connection in
            try connection.query(OutboxSQL.counts).compactMap(OutboxSQL.deliveryCount)
        }
    }
}

/// PostgreSQL array literals for `unnest`, in text format.
enum PostgresArray {
    /// `{"a","b",NULL}`, each element quoted, with its backslashes and double quotes escaped; nil is NULL.
    static func text(_ elements: [String?]) -> String {
        let quoted = elements.map { element in
            guard let element else { return "NULL" }
            return "\""
                + element.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                + "\""
        }
        return "{" + quoted.joined(separator: ",") + "}"
    }
}
