/// A database connection that can write a group of batches in one transaction, so that they share one commit,
/// and fall back on a savepoint per batch when one fails, so that it is rolled back alone while the others
/// commit together.
protocol SavepointTransaction {
    func execute(_ sql: String) throws(StoreError)
    /// Whether a transaction is open, failed statements in it included; some failures end it (SQLite rolls
    /// back by itself on a full disk or an I/O error, a lost server ends it), and then nothing written in it
    /// may be reported as committed.
    var isInTransaction: Bool { get }
}

extension SavepointTransaction {
    /// Writes every item in one transaction and commits once; an item whose write fails fails alone.
    ///
    /// Items are first written together with no savepoint, the common case in which every write succeeds:
    /// a savepoint and its release were two statements more for every batch, a fifth of SQLite's work for a
    /// one-record ingest. When a write or the commit fails, that transaction is rolled back whole and the
    /// items are written again, a savepoint around each, so that the failing one is rolled back alone.
    ///
    /// - Parameters:
    ///   - begin: the statement that opens the transaction (`BEGIN IMMEDIATE` takes SQLite's write lock at once).
    ///   - write: writes one item inside the open transaction; it may run twice for an item, so it must touch
    ///     nothing but the database.
    /// - Returns: one result per item, in order: an item whose write threw fails alone; when the transaction
    ///   itself fails (it cannot begin or commit, or a failure ended it) every item fails with that error,
    ///   because none of them is on disk.
    func commitEach<Item, Output>(_ items: [Item], begin: String, _ write: (Item) throws -> Output)
        -> [Result<Output, any Error>]
    {
        do {
            try execute(begin)
        } catch {
            return items.map { _ in .failure(error) }
        }
        var outputs: [Output] = []
        outputs.reserveCapacity(items.count)
        do {
            for item in items { outputs.append(try write(item)) }
            try execute("COMMIT")
            return outputs.map { .success($0) }
        } catch {
            if isInTransaction { try? execute("ROLLBACK") }
        }
        return commitApart(items, begin: begin, write)
    }

    /// `commitEach`'s careful path: a savepoint around each item.
    private func commitApart<Item, Output>(_ items: [Item], begin: String, _ write: (Item) throws -> Output)
        -> [Result<Output, any Error>]
    {
        do {
            try execute(begin)
        } catch {
            return items.map { _ in .failure(error) }
        }
        var results: [Result<Output, any Error>] = []
        results.reserveCapacity(items.count)
        for item in items {
            do {
                try execute("SAVEPOINT batch")
                let output = try write(item)
                try execute("RELEASE batch")
                results.append(.success(output))
            } catch {
                guard rollBackToSavepoint() else {
                    try? execute("ROLLBACK")
                    return items.map { _ in .failure(error) }
                }
                results.append(.failure(error))
            }
        }
        do {
            try execute("COMMIT")
        } catch {
            try? execute("ROLLBACK")
            return items.map { _ in .failure(error) }
        }
        return results
    }

    /// Undoes the current item's writes; false when the transaction is gone and the group cannot commit.
    private func rollBackToSavepoint() -> Bool {
        guard isInTransaction else { return false }
        do {
            try execute("ROLLBACK TO batch")
            try execute("RELEASE batch")
        } catch {
            return false
        }
        return isInTransaction
    }
}
