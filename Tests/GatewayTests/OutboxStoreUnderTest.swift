import Foundation
import TestSupport
import Testing

@testable import Gateway

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
    let database: TestPostgresDatabase?

    init(_ kind: StoreKind) throws {
        self.kind = kind
        folder = try TemporaryDirectory()
        database = kind == .postgres ? try TestPostgresDatabase() : nil
    }

    /// What a configuration's `store:` would say for this outbox.
    var location: GatewayConfiguration.StoreLocation {
        switch kind {
        case .sqlite: .sqlite(path: folder.path("outbox.sqlite"))
        case .postgres: .postgres(url: database?.url ?? "")
        }
    }

    func open(seal: PayloadSeal? = nil) throws -> any OutboxStore {
        try GatewayRuntime.openStore(location, seal: seal)
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

    /// The payload column of every stored record, as the file or the server holds it.
    func storedPayloads() throws -> [[UInt8]] {
        let sql = "SELECT payload FROM records ORDER BY id"
        let rows =
            switch location {
            case .sqlite(let path): try SQLiteConnection(path: path).query(sql)
            case .postgres(let url): try PostgresConnection(conninfo: url, password: nil).query(sql)
            }
        return rows.compactMap { $0.first?.blob }
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
