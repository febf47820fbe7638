/// A database connection that can write a group of batches in one transaction, each under its own savepoint,
/// so that one failing batch is rolled back alone while the others commit together.
protocol SavepointTransaction {
    func execute(_ sql: String) throws(StoreError)
    /// Whether a transaction is open, failed statements in it included; some failures end it (SQLite rolls
    /// back by itself on a full disk or an I/O error, a lost server ends it), and then nothing written in it
    /// may be reported as committed.
    var isInTransaction: Bool { get }
}

extension SavepointTransaction {
    /// Writes every item in one transaction, a savepoint around each, and commits once.
    ///
    /// - Parameters:
    ///   - begin: the statement that opens the transaction (`BEGIN IMMEDIATE` takes SQLite's write lock at once).
    ///   - write: writes one item inside the open transaction.
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
