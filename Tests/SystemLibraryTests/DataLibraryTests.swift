import CLibXML2
import CPostgres
import CSQLite
import CSodium
import CYAML
import Foundation
import Testing

/// One small test per system library: it links, and it answers a trivial call.
@Suite("System libraries link and answer")
struct DataLibraryTests {
    @Test("libxml2 parses a small document and reports its version")
    func libxml2() throws {
        xmlInitParser()
        xmlCheckVersion(20900)
        let text = "<root><child>value</child></root>"
        let document = try #require(xmlReadMemory(text, Int32(text.utf8.count), "inline.xml", nil, 0))
        defer { xmlFreeDoc(document) }
        let root = try #require(xmlDocGetRootElement(document))
        #expect(String(cString: root.pointee.name) == "root")
    }

    @Test("libyaml reports its version")
    func libyaml() {
        #expect(String(cString: yaml_get_version_string()).hasPrefix("0."))
    }

    @Test("SQLite computes in memory")
    func sqlite() throws {
        var database: OpaquePointer?
        #expect(sqlite3_open(":memory:", &database) == SQLITE_OK)
        defer { sqlite3_close(database) }
        var statement: OpaquePointer?
        #expect(sqlite3_prepare_v2(database, "SELECT 40 + 2", -1, &statement, nil) == SQLITE_OK)
        defer { sqlite3_finalize(statement) }
        #expect(sqlite3_step(statement) == SQLITE_ROW)
        #expect(sqlite3_column_int(statement, 0) == 42)
        #expect(String(cString: sqlite3_libversion()).hasPrefix("3."))
    }

    @Test("libsodium hashes a known input")
    func libsodium() {
        #expect(sodium_init() >= 0)
        var digest = [UInt8](repeating: 0, count: 32)
        let input = Array("abc".utf8)
        crypto_generichash(&digest, 32, input, UInt64(input.count), nil, 0)
        let hex = digest.map { String(format: "%02x", $0) }.joined()
        // BLAKE2b-256("abc"), from the BLAKE2 reference.
        #expect(hex == "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319")
    }

    @Test("libpq reports its version")
    func libpqVersion() {
        #expect(PQlibVersion() >= 150_000)
    }

    @Test(
        "libpq reaches the test run's PostgreSQL server",
        .enabled(if: ProcessInfo.processInfo.environment["PRIMES_TEST_POSTGRES_URL"] != nil, "make test starts one")
    )
    func libpqConnects() throws {
        let url = try #require(ProcessInfo.processInfo.environment["PRIMES_TEST_POSTGRES_URL"])
        let connection = PQconnectdb(url)
        defer { PQfinish(connection) }
        #expect(PQstatus(connection) == CONNECTION_OK)
        let result = PQexec(connection, "SELECT 40 + 2")
        defer { PQclear(result) }
        #expect(PQresultStatus(result) == PGRES_TUPLES_OK)
        #expect(String(cString: PQgetvalue(result, 0, 0)) == "42")
    }
}
