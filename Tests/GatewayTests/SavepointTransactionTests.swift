import Testing

@testable import Gateway

/// `commitEach` on a connection that only records its statements: what runs when every item is written, and
/// when one fails. (GroupCommitTests run the same on real SQLite and PostgreSQL stores.)
@Suite struct SavepointTransactionTests {
    final class RecordingConnection: SavepointTransaction {
        var statements: [String] = []
        var open = false
        var failingCommits = 0

        func execute(_ sql: String) throws(StoreError) {
            statements.append(sql)
            switch sql {
            case "BEGIN": open = true
            case "COMMIT":
                if failingCommits > 0 {
                    failingCommits -= 1
                    throw StoreError(operation: "commit", message: "disk full")
                }
                open = false
            case "ROLLBACK": open = false
            default: break
            }
        }

        var isInTransaction: Bool { open }
    }

    struct Refused: Error {}

    @Test func itemsThatAllSucceedShareOneTransactionWithoutSavepoints() {
        let connection = RecordingConnection()
        let results = connection.commitEach([1, 2, 3], begin: "BEGIN") { item in
            connection.statements.append("write \(item)")
            return item * 10
        }
        #expect(results.map { try? $0.get() } == [10, 20, 30])
        #expect(connection.statements == ["BEGIN", "write 1", "write 2", "write 3", "COMMIT"])
    }

    @Test func aFailingItemSendsTheGroupRoundAgainWithASavepointEach() {
        let connection = RecordingConnection()
        let results = connection.commitEach([1, 2, 3], begin: "BEGIN") { item in
            connection.statements.append("write \(item)")
            if item == 2 { throw Refused() }
            return item * 10
        }
        #expect(results.map { try? $0.get() } == [10, nil, 30])
        #expect(
            connection.statements == [
                "BEGIN", "write 1", "write 2", "ROLLBACK",
                "BEGIN",
                "SAVEPOINT batch", "write 1", "RELEASE batch",
                "SAVEPOINT batch", "write 2", "ROLLBACK TO batch", "RELEASE batch",
                "SAVEPOINT batch", "write 3", "RELEASE batch",
                "COMMIT",
            ])
    }

    @Test func aCommitThatFailsTwiceFailsEveryItem() {
        let connection = RecordingConnection()
        connection.failingCommits = 2
        let results = connection.commitEach([1, 2], begin: "BEGIN") { item in item }
        #expect(results.allSatisfy { (try? $0.get()) == nil })
        #expect(connection.statements.filter { $0 == "COMMIT" }.count == 2)
        #expect(connection.open == false)
    }
}
