import CPostgres
import Foundation

/// One libpq connection: parameterised statements in text format, transactions, and errors that carry the
/// server's SQLSTATE and primary message only.
///
/// The server's DETAIL line is left out of every error on purpose: for a unique or foreign-key violation it
/// quotes the offending values, which may be personal. Not thread-safe by itself: `PostgresOutboxStore`
/// hands each connection to one thread at a time.
final class PostgresConnection: SavepointTransaction {
    private var handle: OpaquePointer?

    /// Opens a connection. `conninfo` is a libpq URL or key-value string that carries no password;
    /// `password`, when given, is passed beside it so that it never sits in a string that could be printed.
    init(conninfo: String, password: String?) throws(StoreError) {
        // Later keys override earlier ones, so the URL's own settings win over these defaults.
        var keys = ["fallback_application_name", "connect_timeout", "dbname"]
        var values = ["primes-gateway", "10", conninfo]
        if let password {
            keys.append("password")
            values.append(password)
        }
        handle = Self.connect(keys: keys, values: values)
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            let message = handle.map { Self.firstLine(PQerrorMessage($0)) } ?? "out of memory"
            PQfinish(handle)
            self.handle = nil
            throw StoreError(operation: "connect to PostgreSQL", message: message)
        }
        // Quiet the NOTICE lines (`CREATE TABLE IF NOT EXISTS` and the like) libpq would print on stderr.
        try execute("SET client_min_messages = warning")
    }

    deinit {
        PQfinish(handle)
    }

    /// False once the server went away, or when a transaction was left open (its rollback failed): the
    /// store then drops the connection rather than hand the next caller someone else's transaction.
    var isHealthy: Bool {
        PQstatus(handle) == CONNECTION_OK && PQtransactionStatus(handle) == PQTRANS_IDLE
    }

    /// Whether a transaction is open, a failed one included; false when the server went away.
    var isInTransaction: Bool {
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    /// Runs SQL that returns no rows, possibly several statements separated by semicolons, without parameters.
    func execute(_ sql: String) throws(StoreError) {
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        try check(result, operation: "execute")
    }

    /// Runs one statement with `parameters` bound to `$1`, `$2`, …; returns its rows.
    ///
    /// Parameters travel in text format except blobs, which go as binary so that no escaping is needed;
    /// results come back in text format and are read by their column type.
    @discardableResult
    func query(_ sql: String, _ parameters: [SQLValue] = []) throws(StoreError) -> [[SQLValue]] {
        let result = try run(sql, parameters)
        defer { PQclear(result) }
        return rows(of: result)
    }

    /// Runs one statement and returns how many rows it changed.
    @discardableResult
    func update(_ sql: String, _ parameters: [SQLValue] = []) throws(StoreError) -> Int {
        let result = try run(sql, parameters)
        defer { PQclear(result) }
        return Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    /// Runs `body` in a transaction, committing unless it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    // MARK: - libpq calls

    private static func connect(keys: [String], values: [String]) -> OpaquePointer? {
        let keyPointers = keys.map { strdup($0) } + [nil]
        let valuePointers = values.map { strdup($0) } + [nil]
        defer {
            keyPointers.forEach { free($0) }
            valuePointers.forEach { free($0) }
        }
        let constKeys = keyPointers.map { UnsafePointer($0) }
        let constValues = valuePointers.map { UnsafePointer($0) }
        // expand_dbname = 1: the `dbname` value may be a whole URL, whose parts the other keys then complete.
        return PQconnectdbParams(constKeys, constValues, 1)
    }

    private func run(_ sql: String, _ parameters: [SQLValue]) throws(StoreError) -> OpaquePointer? {
        var buffers: [[CChar]?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        func appendText(_ text: String) {
            buffers.append(text.utf8CString.map { $0 })
            lengths.append(0)
            formats.append(0)
        }
        for value in parameters {
            switch value {
            case .null:
                buffers.append(nil)
                lengths.append(0)
                formats.append(0)
            case .integer(let number): appendText(String(number))
            case .real(let number): appendText(Self.text(of: number))
            case .text(let text): appendText(text)
            case .blob(let bytes):
                buffers.append(bytes.map { CChar(bitPattern: $0) })
                lengths.append(Int32(bytes.count))
                formats.append(1)
            }
        }

        let result = Self.withPointers(to: buffers) { pointers in
            PQexecParams(handle, sql, Int32(parameters.count), nil, pointers, lengths, formats, 0)
        }
        do {
            try check(result, operation: "query")
        } catch {
            PQclear(result)
            throw error
        }
        return result
    }

    /// Lends C pointers to each buffer (nil stays nil) for the length of `body`.
    private static func withPointers<T>(
        to buffers: [[CChar]?], _ body: ([UnsafePointer<CChar>?]) -> T
    ) -> T {
        var copies: [UnsafeMutablePointer<CChar>?] = []
        defer { copies.forEach { $0?.deallocate() } }
        for buffer in buffers {
            guard let buffer else {
                copies.append(nil)
                continue
            }
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: max(buffer.count, 1))
            copy.initialize(from: buffer, count: buffer.count)
            copies.append(copy)
        }
        return body(copies.map { $0.map { UnsafePointer($0) } })
    }

    /// Doubles in a form PostgreSQL reads back exactly (`Double.description` round-trips).
    private static func text(of number: Double) -> String {
        number.isFinite ? number.description : "NaN"
    }

    private func check(_ result: OpaquePointer?, operation: String) throws(StoreError) {
        guard let result else {
            throw StoreError(operation: operation, message: Self.firstLine(PQerrorMessage(handle)))
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY: return
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let primary = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
            let message = primary ?? Self.firstLine(PQerrorMessage(handle))
            throw StoreError(operation: operation, message: state.map { "\($0) \(message)" } ?? message)
        }
    }

    /// libpq's connection messages may run over several lines; the first says what went wrong.
    private static func firstLine(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "unknown error" }
        let line = String(cString: text).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.isEmpty ? "unknown error" : line
    }

    // MARK: - Results

    private func rows(of result: OpaquePointer?) -> [[SQLValue]] {
        let rowCount = PQntuples(result)
        let columnCount = PQnfields(result)
        let types = (0..<columnCount).map { PQftype(result, $0) }
        var rows: [[SQLValue]] = []
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            rows.append((0..<columnCount).map { value(result, row: row, column: $0, type: types[Int($0)]) })
        }
        return rows
    }

    private func value(_ result: OpaquePointer?, row: Int32, column: Int32, type: Oid) -> SQLValue {
        guard PQgetisnull(result, row, column) == 0, let raw = PQgetvalue(result, row, column) else { return .null }
        switch type {
        case PostgresType.bytea:
            var length = 0
            guard let bytes = PQunescapeBytea(UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self), &length)
            else { return .blob([]) }
            defer { PQfreemem(bytes) }
            return .blob(Array(UnsafeBufferPointer(start: bytes, count: length)))
        case PostgresType.int2, PostgresType.int4, PostgresType.int8:
            return Int64(String(cString: raw)).map(SQLValue.integer) ?? .null
        case PostgresType.float4, PostgresType.float8, PostgresType.numeric:
            return Double(String(cString: raw)).map(SQLValue.real) ?? .null
        case PostgresType.bool:
            return .integer(raw.pointee == CChar(UInt8(ascii: "t")) ? 1 : 0)
        default:
            return .text(String(cString: raw))
        }
    }
}

/// The type OIDs of `pg_type` that results are read by; they are fixed in every PostgreSQL release.
private enum PostgresType {
    static let bool: Oid = 16
    static let bytea: Oid = 17
    static let int8: Oid = 20
    static let int2: Oid = 21
    static let int4: Oid = 23
    static let float4: Oid = 700
    static let float8: Oid = 701
    static let numeric: Oid = 1700
}
