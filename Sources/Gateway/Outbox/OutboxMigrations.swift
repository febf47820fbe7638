import Foundation

/// The outbox schema as numbered steps, applied by the gateway itself when it opens a store.
///
/// Each store keeps the versions it has applied in a `schema_migrations` table. A step is written once per
/// dialect (row-id keys, blob and real types differ) and never edited after release: a change of schema is a
/// new step. A store whose database is newer than the running gateway refuses to open, so an old instance
/// left running during an upgrade stops instead of writing rows the new schema does not expect.
enum OutboxMigrations {
    struct Step: Sendable {
        var version: Int
        var summary: String
        var sqlite: [String]
        var postgres: [String]
    }

    static let steps: [Step] = [
        Step(
            version: 1, summary: "batches, records, deliveries, crosswalk, dead letters",
            sqlite: OutboxSchema.statements, postgres: postgresTables),
        Step(
            version: 2, summary: "a partial index of waiting deliveries in claim order (PostgreSQL)",
            sqlite: [], postgres: waitingIndex),
        Step(
            version: 3, summary: "the cursors of the sources the gateway pulls (sync)",
            sqlite: SourceSchema.statements, postgres: SourceSchema.postgresStatements),
        Step(
            version: 4, summary: "changed fields of pulled updates, and what the gateway wrote (loop guard)",
            sqlite: SourceSchema.loopGuardStatements, postgres: SourceSchema.loopGuardPostgresStatements),
        Step(
            version: 5,
            summary: "the crosswalk by record key (consent withdrawals); dead letters dismissed by an operator",
            sqlite: crosswalkByKey + ["ALTER TABLE dead_letters ADD COLUMN dismissed_at REAL"],
            postgres: crosswalkByKey + ["ALTER TABLE dead_letters ADD COLUMN dismissed_at DOUBLE PRECISION"]),
    ]

    static var latestVersion: Int {
        steps.map(\.version).max() ?? 0
    }

    static let createVersionTable =
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, summary TEXT NOT NULL, "
        + "applied_at REAL NOT NULL)"

    /// The steps after `applied`, or an error when the database is newer than this gateway.
    static func pending(after applied: [Int]) throws(StoreError) -> [Step] {
        let highest = applied.max() ?? 0
        guard highest <= latestVersion else {
            throw StoreError(
                operation: "migrate",
                message:
                    "the outbox schema is at version \(highest), newer than this gateway knows (\(latestVersion)); "
                    + "upgrade the gateway")
        }
        return steps.filter { !applied.contains($0.version) }
    }

    // MARK: - Steps

    /// Version 1 on PostgreSQL: the tables of `OutboxSchema`, with `BIGSERIAL` keys, `BYTEA` payloads and
    /// `DOUBLE PRECISION` times.
    private static let postgresTables = [
        """
        CREATE TABLE IF NOT EXISTS batches (id TEXT PRIMARY KEY, client TEXT NOT NULL, source_format TEXT NOT NULL,
            received_at DOUBLE PRECISION NOT NULL, accepted INTEGER NOT NULL, rejected INTEGER NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS records (id BIGSERIAL PRIMARY KEY, batch_id TEXT NOT NULL REFERENCES batches(id),
            position INTEGER NOT NULL, record_key TEXT, content_hash TEXT NOT NULL, payload BYTEA NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS records_by_batch ON records (batch_id, position)",
        """
        CREATE TABLE IF NOT EXISTS deliveries (id BIGSERIAL PRIMARY KEY,
            record_id BIGINT NOT NULL REFERENCES records(id), destination TEXT NOT NULL, state TEXT NOT NULL,
            attempts INTEGER NOT NULL, next_attempt_at DOUBLE PRECISION NOT NULL,
            lease_until DOUBLE PRECISION NOT NULL, last_error TEXT, idempotency_key TEXT NOT NULL,
            unchanged INTEGER NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_attempt_at)",
        "CREATE INDEX IF NOT EXISTS deliveries_leased ON deliveries (state, lease_until)",
        "CREATE INDEX IF NOT EXISTS deliveries_by_record ON deliveries (record_id)",
        """
        CREATE TABLE IF NOT EXISTS crosswalk (destination TEXT NOT NULL, record_key TEXT NOT NULL, remote_id TEXT,
            content_hash TEXT NOT NULL, updated_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (destination, record_key))
        """,
        """
        CREATE TABLE IF NOT EXISTS dead_letters (id BIGSERIAL PRIMARY KEY,
            delivery_id BIGINT NOT NULL REFERENCES deliveries(id), destination TEXT NOT NULL,
            reason TEXT NOT NULL, details TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
            replayed_at DOUBLE PRECISION)
        """,
    ]

    /// Version 2: the PostgreSQL claim takes queued and failed deliveries together, in `next_attempt_at, id`
    /// order, which the `(state, next_attempt_at)` index cannot give for two states at once; this index
    /// does, and it holds only waiting rows, not the delivered ones that pile up. SQLite claims one state at
    /// a time along `deliveries_due` and needs nothing more: the step is recorded there with no statement,
    /// so that both stores count the same versions.
    private static let waitingIndex = [
        "CREATE INDEX IF NOT EXISTS deliveries_waiting ON deliveries (next_attempt_at, id) "
            + "WHERE state IN ('queued', 'failed')"
    ]

    /// Version 5: a withdrawal goes to every destination holding its subject, found by key alone (the
    /// crosswalk's key begins with the destination).
    private static let crosswalkByKey = ["CREATE INDEX IF NOT EXISTS crosswalk_by_key ON crosswalk (record_key)"]
}

extension SQLiteConnection {
    /// Brings the outbox schema of this file to the latest version, in one write transaction.
    ///
    /// Files made before the versions existed already hold the version 1 tables; its statements all say
    /// `IF NOT EXISTS`, so such a file is simply recorded at version 1 and moves on.
    func migrateOutbox(now: Double = Date().timeIntervalSince1970) throws {
        try transaction {
            try execute(OutboxMigrations.createVersionTable)
            let applied = try query("SELECT version FROM schema_migrations").compactMap { $0.first?.integer }
            for step in try OutboxMigrations.pending(after: applied.map { Int($0) }) {
                for statement in step.sqlite { try execute(statement) }
                try query(
                    "INSERT INTO schema_migrations (version, summary, applied_at) VALUES (?1, ?2, ?3)",
                    [.integer(Int64(step.version)), .text(step.summary), .real(now)])
            }
        }
    }
}

extension PostgresConnection {
    /// Brings the outbox schema of this database to the latest version.
    ///
    /// Several instances may start at once against one database: a transaction-scoped advisory lock makes
    /// them migrate one after the other, and the later ones find nothing left to do.
    func migrateOutbox(now: Double = Date().timeIntervalSince1970) throws {
        try transaction {
            try execute("SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))")
            try execute(OutboxMigrations.createVersionTable.replacingOccurrences(of: " REAL ", with: " FLOAT8 "))
            let applied = try query("SELECT version FROM schema_migrations").compactMap { $0.first?.integer }
            for step in try OutboxMigrations.pending(after: applied.map { Int($0) }) {
                for statement in step.postgres { try execute(statement) }
                try query(
                    "INSERT INTO schema_migrations (version, summary, applied_at) VALUES ($1, $2, $3)",
                    [.integer(Int64(step.version)), .text(step.summary), .real(now)])
            }
        }
    }

    /// An arbitrary constant naming the outbox's migration lock among the database's advisory locks.
    static let migrationLockKey: Int64 = 0x7072_696d_6573
}
