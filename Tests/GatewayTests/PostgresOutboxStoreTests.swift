import Foundation
import TestSupport
import Testing

@testable import Gateway

/// What only the PostgreSQL store promises beyond the shared contract: its URL, leases across instances,
/// fenced outcomes, concurrent migrations, and errors that quote no values.
@Suite struct PostgresLocationTests {
    @Test func theGatewaysOwnParametersAreTakenOutOfTheURL() throws {
        let location = try PostgresLocation(
            url: "postgres://gateway@db.example:5432/primes?sslmode=verify-full&password_env=PRIMES_PG&pool_size=3")
        #expect(location.conninfo == "postgres://gateway@db.example:5432/primes?sslmode=verify-full")
        #expect(location.password == .environment("PRIMES_PG"))
        #expect(location.poolSize == 3)
        let file = try PostgresLocation(url: "postgresql://gateway@db/primes?password_file=/run/secrets/pg%20pass")
        #expect(file.password == .file("/run/secrets/pg pass"))
        #expect(file.poolSize == PostgresLocation.defaultPoolSize)
    }

    @Test(arguments: [
        "postgres://gateway:secret@db/primes", "postgres://db/primes?password=secret",
        "postgres://gateway@db/primes?password_env=A&password_file=/b", "postgres://db/primes?pool_size=0",
        "mysql://db/primes",
    ])
    func aBadURLIsRefusedWithoutQuotingIt(url: String) throws {
        let error = try #require(throws: StoreError.self) { try PostgresLocation(url: url) }
        #expect(!error.description.contains("secret"))
        #expect(error.operation == "store URL")
    }

    @Test func aMissingPasswordVariableIsNamedBeforeConnecting() throws {
        let error = try #require(throws: StoreError.self) {
            try PostgresOutboxStore(
                url: "postgres://gateway@127.0.0.1:1/primes?password_env=PRIMES_PG", environment: [:])
        }
        #expect(
            error.description
                == "outbox store: store password: the secret in environment variable PRIMES_PG is empty or missing")
    }

    @Test func anUnreachableServerIsAClearError() throws {
        let error = try #require(throws: StoreError.self) {
            try PostgresOutboxStore(url: "postgres://gateway@127.0.0.1:1/primes?connect_timeout=2")
        }
        #expect(error.operation == "connect to PostgreSQL")
        #expect(error.message.contains("127.0.0.1"))
    }
}

@Suite(.enabled(if: TestPostgres.isEnabled, Comment(rawValue: TestPostgres.skipReason)))
struct PostgresOutboxStoreTests {
    static func enqueue(_ count: Int, into store: any OutboxStore, batch: String = "b1") throws {
        _ = try store.enqueue(
            NewBatch(
                id: batch, client: "c", sourceFormat: "canonical",
                records: (0..<count).map { OutboxStoreContractTests.record("p\($0)", "x") }, destinations: ["a"]))
    }

    @Test func anotherInstanceTakesOverAClaimOnlyWhenItsLeaseRunsOut() throws {
        let outbox = try OutboxUnderTest(.postgres)
        let crashed = try outbox.open()
        let survivor = try outbox.open()
        try Self.enqueue(3, into: crashed)
        let now = Date().timeIntervalSince1970

        let held = try crashed.claimDue(limit: 2, lease: 30, now: now)
        #expect(held.count == 2)
        let rest = try survivor.claimDue(limit: 10, lease: 30, now: now + 5)
        #expect(rest.map(\.id) == [3])
        #expect(try survivor.claimDue(limit: 10, lease: 30, now: now + 29).isEmpty)

        let takenOver = try survivor.claimDue(limit: 10, lease: 30, now: now + 31)
        #expect(takenOver.map(\.id) == held.map(\.id))
        #expect(takenOver.map(\.attempt) == [2, 2])
        #expect(takenOver.map(\.idempotencyKey) == held.map(\.idempotencyKey))
    }

    @Test func aWorkerThatOutlivedItsLeaseCannotOverwriteTheNewClaim() throws {
        let outbox = try OutboxUnderTest(.postgres)
        let store = try outbox.open()
        try Self.enqueue(1, into: store)
        let now = Date().timeIntervalSince1970
        let stale = try store.claimDue(limit: 1, lease: 10, now: now)
        let current = try store.claimDue(limit: 1, lease: 10, now: now + 11)
        #expect(current.map(\.attempt) == [2])

        try store.complete(
            stale.map { DeliveryOutcome(delivery: $0, result: .dead(reason: "HTTP 422", details: [])) }, now: now + 12)
        #expect(try store.deadLetters(limit: 10).isEmpty)
        #expect(try store.counts() == [DeliveryCount(destination: "a", state: .delivering, count: 1)])

        try store.complete(
            current.map { DeliveryOutcome(delivery: $0, result: .delivered(remoteId: "r-1")) }, now: now + 12)
        #expect(try store.counts() == [DeliveryCount(destination: "a", state: .delivered, count: 1)])
    }

    /// Four instances sweeping the same old batches at once: each batch goes once, none fails.
    @Test func instancesPruningTogetherDeleteEachBatchOnce() throws {
        let outbox = try OutboxUnderTest(.postgres)
        let setUp = try outbox.open()
        for index in 0..<40 {
            _ = try setUp.enqueue(
                NewBatch(
                    id: "b\(index)", client: "c", sourceFormat: "canonical",
                    records: [OutboxStoreContractTests.record("p\(index)", "x")], destinations: []))
        }
        let stores = try (0..<4).map { _ in try outbox.open() }
        let pruned = ClaimLog()
        let failures = ClaimLog()
        let cutoff = Date().timeIntervalSince1970 + 60
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            do {
                while true {
                    let count = try stores[worker].pruneBatches(receivedBefore: cutoff, limit: 7)
                    if count == 0 { break }
                    pruned.add([Int64(count)])
                }
            } catch {
                failures.add([Int64(worker)])
            }
        }
        #expect(failures.ids.isEmpty)
        #expect(pruned.ids.reduce(0, +) == 40)
        #expect(try outbox.storedPayloads().isEmpty)
    }

    @Test func instancesStartingTogetherMigrateOnce() throws {
        let outbox = try OutboxUnderTest(.postgres)
        let failures = ClaimLog()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do { _ = try outbox.open() } catch { failures.add([1]) }
        }
        #expect(failures.ids.isEmpty)
        #expect(try outbox.appliedVersions() == OutboxMigrations.steps.map(\.version))
    }

    @Test func aStoreErrorCarriesTheSQLStateButNotTheValues() throws {
        let outbox = try OutboxUnderTest(.postgres)
        let store = try outbox.open()
        try Self.enqueue(1, into: store, batch: "batch-with-a-telling-id")
        let error = try #require(throws: StoreError.self) {
            try Self.enqueue(1, into: store, batch: "batch-with-a-telling-id")
        }
        #expect(error.message.hasPrefix("23505 "))
        #expect(!error.description.contains("telling"))
    }

    @Test func aConnectionTheServerDroppedIsReplaced() throws {
        let outbox = try OutboxUnderTest(.postgres)
        let store = try outbox.open()
        try Self.enqueue(1, into: store)
        let database = try #require(outbox.database)
        _ = try PostgresConnection(conninfo: database.url, password: nil).query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                + "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        // The first use of the dropped connection fails and discards it; the next opens a fresh one.
        _ = try? store.counts()
        #expect(try store.counts() == [DeliveryCount(destination: "a", state: .queued, count: 1)])
    }
}
