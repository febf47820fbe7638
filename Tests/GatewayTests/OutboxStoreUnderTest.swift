import Foundation
import TestSupport
import Testing

@testable import Gateway

/// The PostgreSQL server of the test run, if there is one.
///
/// `make test` starts one (`scripts/test-postgres`), exports its URL in `PRIMES_TEST_POSTGRES_URL` and sets
/// `PRIMES_TEST_REQUIRE_POSTGRES=1`: then a missing URL fails the PostgreSQL tests instead of skipping them.
/// Run by hand without a server, they are skipped with `skipReason`.
enum TestPostgres {
    static var url: String? {
        ProcessInfo.processInfo.environment["PRIMES_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static var isRequired: Bool {
        ProcessInfo.processInfo.environment["PRIMES_TEST_REQUIRE_POSTGRES"] == "1"
    }

    /// True when the PostgreSQL tests run: a server is given, or `make test` requires one.
    static var isEnabled: Bool {
        url != nil || isRequired
    }

    static let skipReason = Comment(
        rawValue: "PRIMES_TEST_POSTGRES_URL is not set: run `make test`, or `url=$(scripts/test-postgres start)` "
            + "and `PRIMES_TEST_POSTGRES_URL=$url swift test …`")
}

/// A database of one test's own on the test server, dropped when the value is released, so that tests
/// running in parallel never see each other's rows.
final class TestDatabase: @unchecked Sendable {
    let name: String
    let url: String
    private let serverURL: String

    init() throws {
        guard let server = TestPostgres.url else {
            Issue.record("PRIMES_TEST_POSTGRES_URL is missing although make test requires PostgreSQL")
            throw StoreError(operation: "test database", message: "PRIMES_TEST_POSTGRES_URL is not set")
        }
        serverURL = server
        name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try PostgresConnection(conninfo: server, password: nil).execute("CREATE DATABASE \(name)")
        url = Self.url(server, database: name)
    }

    deinit {
        // FORCE ends the connections the stores of the test still hold.
        try? PostgresConnection(conninfo: serverURL, password: nil).execute(
            "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// `server` with its database path replaced by `database`, its query kept.
    static func url(_ server: String, database: String) -> String {
        let parts = server.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let base = parts[0]
        let schemeEnd = base.range(of: "://").map(\.upperBound) ?? base.startIndex
        let hostEnd = base[schemeEnd...].firstIndex(of: "/") ?? base.endIndex
        let query = parts.count > 1 ? "?" + parts[1] : ""
        return String(base[..<hostEnd]) + "/" + database + query
    }

    /// Runs SQL on the test database directly, to look at rows no store method shows.
    func query(_ sql: String) throws -> [[SQLValue]] {
        try PostgresConnection(conninfo: url, password: nil).query(sql)
    }
}

/// The stores the storage tests run against: SQLite always, PostgreSQL when the test run has a server.
enum StoreKind: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case sqlite, postgres

    static var underTest: [StoreKind] {
        TestPostgres.isEnabled ? [.sqlite, .postgres] : [.sqlite]
    }

    var testDescription: String { rawValue }
}

/// One empty outbox of a given kind for one test: a fresh SQLite file or a fresh PostgreSQL database.
/// `open()` may be called again to reopen the same outbox, as a restarted or second instance would.
final class OutboxUnderTest: @unchecked Sendable {
    let kind: StoreKind
    private let folder: TemporaryDirectory
    let database: TestDatabase?

    init(_ kind: StoreKind) throws {
        self.kind = kind
        folder = try TemporaryDirectory()
        database = kind == .postgres ? try TestDatabase() : nil
    }

    /// What a configuration's `store:` would say for this outbox.
    var location: GatewayConfiguration.StoreLocation {
        switch kind {
        case .sqlite: .sqlite(path: folder.path("outbox.sqlite"))
        case .postgres: .postgres(url: database?.url ?? "")
        }
    }

    func open() throws -> any OutboxStore {
        try GatewayRuntime.openStore(location)
    }
}

extension OutboxUnderTest {
    /// Runs SQL on the outbox directly, as an operator or another gateway version would.
    func execute(_ sql: String) throws {
        switch location {
        case .sqlite(let path): try SQLiteConnection(path: path).execute(sql)
        case .postgres(let url): try PostgresConnection(conninfo: url, password: nil).execute(sql)
        }
    }

    /// The versions recorded in `schema_migrations`, in order.
    func appliedVersions() throws -> [Int] {
        let sql = "SELECT version FROM schema_migrations ORDER BY version"
        let rows =
            switch location {
            case .sqlite(let path): try SQLiteConnection(path: path).query(sql)
            case .postgres(let url): try PostgresConnection(conninfo: url, password: nil).query(sql)
            }
        return rows.compactMap { $0.first?.integer.map { Int($0) } }
    }
}
