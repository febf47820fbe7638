import Foundation

/// Moves committed pages from the SQLite WAL into the database file on a thread of its own.
///
/// SQLite otherwise checkpoints inside the commit that fills the WAL past its threshold, so every thousandth
/// page or so one ingest group waits for hundreds of page writes and an fsync of the database file: the
/// slowest answers of the daemon were those. A passive checkpoint from a second connection neither waits for
/// nor blocks the writer, and commits stay as durable as before (they are fsynced in the WAL). The writer
/// keeps a far higher threshold of its own, for when this thread falls behind.
final class WALCheckpointer: @unchecked Sendable {
    /// Pages the writer lets the WAL grow to before it checkpoints by itself.
    static let writerThreshold = 20_000

    private let connection: SQLiteConnection
    private let interval: TimeInterval
    private let lock = NSLock()
    private var stopping = false

    init(path: String, interval: TimeInterval = 0.1) throws {
        connection = try SQLiteConnection(path: path)
        try connection.execute("PRAGMA synchronous=FULL")
        self.interval = interval
        let thread = Thread { [self] in run() }
        thread.name = "outbox-checkpoint"
        thread.start()
    }

    /// Asks the thread to end after its current checkpoint; it closes its connection as it goes.
    func stop() {
        lock.lock()
        stopping = true
        lock.unlock()
    }

    private var shouldStop: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    private func run() {
        while !shouldStop {
            // A failed checkpoint (a busy lock, a full disk) is retried on the next turn; the writer's own
            // threshold bounds the WAL meanwhile.
            try? connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
            Thread.sleep(forTimeInterval: interval)
        }
    }
}
