import CSQLite
import Foundation

/// A value bound to or read from a SQL statement.
enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    var real: Double? {
        switch self {
        case .real(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }

    var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }

    var blob: [UInt8]? {
        switch self {
        case .blob(let value): value
        case .text(let value): Array(value.utf8)
        default: nil
        }
    }
}

/// A failure of the SQLite library, with its message; statements never carry personal values in their text.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public let operation: String
    public let message: String

    public var description: String {
        "outbox store: \(operation): \(message)"
    }
}

/// One SQLite connection. Not thread-safe by itself: `SQLiteOutboxStore` serialises access with a lock.
final class SQLiteConnection: SavepointTransaction {
    private var handle: OpaquePointer?
    private var statements: [StatementKey: OpaquePointer] = [:]

    init(path: String) throws(StoreError) {
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(handle)
            throw StoreError(operation: "open \(path)", message: message)
        }
        sqlite3_busy_timeout(handle, 5000)
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close(handle)
    }

    /// Runs SQL that returns no rows, possibly several statements.
    ///
    /// One statement (`SAVEPOINT batch`, `COMMIT`) goes through the cache of prepared statements: the group
    /// commit runs a few of them for every batch, and parsing them again each time showed in profiles.
    func execute(_ sql: String) throws(StoreError) {
        if !sql.utf8.contains(UInt8(ascii: ";")) {
            try query(sql)
            return
        }
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &message) == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? "failed"
            sqlite3_free(message)
            throw StoreError(operation: "execute", message: text)
        }
    }

    /// Runs one statement with `parameters` bound to `?1`, `?2`, …; returns its rows.
    @discardableResult
    func query(_ sql: String, _ parameters: [SQLValue] = []) throws(StoreError) -> [[SQLValue]] {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (index, value) in parameters.enumerated() { bind(value, at: Int32(index + 1), in: statement) }
        var rows: [[SQLValue]] = []
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else { throw error("step") }
            rows.append((0..<sqlite3_column_count(statement)).map { column(statement, $0) })
        }
        return rows
    }

    var changes: Int {
        Int(sqlite3_changes(handle))
    }

    var lastInsertedRow: Int64 {
        sqlite3_last_insert_rowid(handle)
    }

    /// Whether a transaction is open: false again after `COMMIT`, `ROLLBACK`, or a failure that rolled back.
    var isInTransaction: Bool {
        sqlite3_get_autocommit(handle) == 0
    }

    /// Runs `body` in a transaction that takes the write lock at once, committing unless it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    private func prepared(_ sql: String) throws(StoreError) -> OpaquePointer {
        let key = StatementKey(sql: sql)
        if let statement = statements[key] { return statement }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw error("prepare")
        }
        statements[key] = statement
        return statement
    }

    /// A statement's SQL as the key of the cache, hashed by its length and its last bytes only.
    ///
    /// Hashing the whole text of an `INSERT` (a hundred bytes or more) for every statement run cost more than
    /// binding its values; the cached statements differ in length or in their last bytes (their parameters
    /// and conditions), and a clash would only cost a comparison of the texts, which equality still makes.
    private struct StatementKey: Hashable {
        let sql: String

        func hash(into hasher: inout Hasher) {
            var sql = sql
            sql.withUTF8 { bytes in
                hasher.combine(bytes.count)
                hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes.suffix(24))))
            }
        }
    }

    private func bind(_ value: SQLValue, at index: Int32, in statement: OpaquePointer) {
        // SQLITE_TRANSIENT: SQLite copies the bytes, so Swift's buffers may go away after the call.
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        switch value {
        case .null: sqlite3_bind_null(statement, index)
        case .integer(let number): sqlite3_bind_int64(statement, index, number)
        case .real(let number): sqlite3_bind_double(statement, index, number)
        case .text(let text):
            // The string's own UTF-8 with its length, when it has contiguous storage: passing the String
            // made a NUL-terminated copy of it for every value bound.
            var text = text
            text.withUTF8 { bytes in
                bytes.withMemoryRebound(to: CChar.self) { characters in
                    // An empty text still needs a pointer: a null one would bind NULL.
                    guard let start = characters.baseAddress else {
                        sqlite3_bind_text(statement, index, "", 0, transient)
                        return
                    }
                    sqlite3_bind_text(statement, index, start, Int32(characters.count), transient)
                }
            }
        case .blob(let bytes):
            bytes.withUnsafeBytes { raw in
                _ = sqlite3_bind_blob(statement, index, raw.baseAddress, Int32(raw.count), transient)
            }
        }
    }

    private func column(_ statement: OpaquePointer, _ index: Int32) -> SQLValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, index))
        case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(statement, index)))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, index))
            guard let base = sqlite3_column_blob(statement, index), count > 0 else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: base, count: count)))
        default: return .null
        }
    }

    private func error(_ operation: String) -> StoreError {
        StoreError(operation: operation, message: String(cString: sqlite3_errmsg(handle)))
    }
}
