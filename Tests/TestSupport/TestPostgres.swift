import Foundation

/// The PostgreSQL server of the test run, if there is one.
///
/// `make test` starts one (`scripts/test-postgres`), exports its URL in `PRIMES_TEST_POSTGRES_URL` and sets
/// `PRIMES_TEST_REQUIRE_POSTGRES=1`: then a missing URL fails the PostgreSQL tests instead of skipping them.
/// Run by hand without a server, they are skipped with `skipReason`.
public enum TestPostgres {
    public static var url: String? {
        ProcessInfo.processInfo.environment["PRIMES_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    public static var isRequired: Bool {
        ProcessInfo.processInfo.environment["PRIMES_TEST_REQUIRE_POSTGRES"] == "1"
    }

    /// True when the PostgreSQL tests run: a server is given, or `make test` requires one.
    public static var isEnabled: Bool {
        url != nil || isRequired
    }

    public static let skipReason =
        "PRIMES_TEST_POSTGRES_URL is not set: run `make test`, or `url=$(scripts/test-postgres start)` and "
        + "`PRIMES_TEST_POSTGRES_URL=$url swift test …`"

    /// Debian's `psql` of the server `scripts/test-postgres` runs.
    static let psql = "/usr/lib/postgresql/15/bin/psql"

    /// Runs SQL with `psql` against `url`; throws with psql's message when it fails.
    @discardableResult
    public static func run(_ sql: String, on url: String) throws -> String {
        let result = try ProcessRunner.run(psql, ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql])
        guard result.status == 0 else { throw TestPostgresError.psqlFailed(result.standardError) }
        return result.standardOutput
    }
}

/// A database of one test's own on the test server, dropped when the value is released, so that tests
/// running in parallel never see each other's rows.
public final class TestPostgresDatabase: @unchecked Sendable {
    public let name: String
    public let url: String
    private let serverURL: String

    public init() throws {
        guard let server = TestPostgres.url else { throw TestPostgresError.missingURL }
        serverURL = server
        name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try TestPostgres.run("CREATE DATABASE \(name)", on: server)
        url = Self.url(server, database: name)
    }

    deinit {
        // FORCE ends the connections the stores of the test still hold.
        _ = try? TestPostgres.run("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: serverURL)
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
}

public enum TestPostgresError: Error, CustomStringConvertible {
    case missingURL
    case psqlFailed(String)

    public var description: String {
        switch self {
        case .missingURL:
            "PRIMES_TEST_POSTGRES_URL is missing although this run requires PostgreSQL (make test starts one)"
        case .psqlFailed(let message): "psql: \(message)"
        }
    }
}
