import Foundation
import TestSupport
import Testing

@testable import Gateway

/// Group commit: concurrent enqueues share a transaction, yet each caller gets its own result, a failing
/// batch fails alone, and nothing is reported stored that is not on disk.
@Suite struct GroupCommitTests {
    /// Results handed back to several threads.
    final class Outcomes<Value: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [Int: Value] = [:]

        subscript(index: Int) -> Value? {
            get {
                lock.lock()
                defer { lock.unlock() }
                return stored[index]
            }
            set {
                lock.lock()
                defer { lock.unlock() }
                stored[index] = newValue
            }
        }

        var count: Int {
            lock.lock()
            defer { lock.unlock() }
            return stored.count
        }
    }

    /// Runs `body` on `count` threads of their own at once (`concurrentPerform` would use one per core) and
    /// waits for all of them.
    static func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let finished = DispatchGroup()
        for index in 0..<count {
            finished.enter()
            Thread {
                body(index)
                finished.leave()
            }.start()
        }
        finished.wait()
    }

    // MARK: - The committer alone

    /// The first leader holds its commit until every other caller is queued, so the second commit must take
    /// all of them at once; each caller still gets the answer to its own work, and failures stay with theirs.
    @Test func callersQueuedDuringACommitShareTheNextOneAndEachGetsItsOwnResult() throws {
        let committer = GroupCommitter<Int, String>()
        let callers = 12
        let commits = Outcomes<[Int]>()
        let answers = Outcomes<Result<String, StoreError>>()
        let commitGroup: @Sendable ([Int]) -> [Result<String, any Error>] = { group in
            if commits.count == 0 {
                let deadline = Date().addingTimeInterval(10)
                while committer.waitingCount < callers - 1 && Date() < deadline { usleep(1000) }
            }
            commits[commits.count] = group
            return group.map { work in
                work % 5 == 0
                    ? .failure(StoreError(operation: "test", message: "refused \(work)")) : .success("stored \(work)")
            }
        }

        Self.onThreads(callers) { work in
            if work != 0 {
                // Caller 0 leads the first commit; the others arrive while it runs.
                while committer.statistics.groups == 0 { usleep(100) }
            }
            do {
                answers[work] = .success(try committer.submit(work, commitGroup: commitGroup))
            } catch let error as StoreError {
                answers[work] = .failure(error)
            } catch {
                answers[work] = .failure(StoreError(operation: "test", message: "unexpected \(error)"))
            }
        }

        #expect(commits[0] == [0])
        #expect(commits[1].map { Set($0) } == Set(1..<callers))
        #expect(commits.count == 2)
        #expect(committer.statistics.groups == 2)
        #expect(committer.statistics.largestGroup == callers - 1)
        for work in 0..<callers {
            let expected: Result<String, StoreError> =
                work % 5 == 0
                ? .failure(StoreError(operation: "test", message: "refused \(work)")) : .success("stored \(work)")
            #expect(answers[work] == expected, "caller \(work)")
        }
    }

    @Test func aCommitThatGivesTheWrongNumberOfResultsFailsEveryCaller() {
        let committer = GroupCommitter<Int, Int>()
        #expect(throws: StoreError.self) {
            try committer.submit(1) { _ in [] }
        }
    }

    /// Submissions that do not block join the groups of blocked callers: while a blocked caller's commit is
    /// held, queued work of both kinds waits, the next commit takes all of it at once, and each completion gets
    /// its own result on the committing thread.
    @Test func submissionsThatDoNotBlockShareGroupsWithBlockedCallers() throws {
        let committer = GroupCommitter<Int, String>()
        let commits = Outcomes<[Int]>()
        let answers = Outcomes<Result<String, StoreError>>()
        let completed = DispatchGroup()
        let commitGroup: @Sendable ([Int]) -> [Result<String, any Error>] = { group in
            if commits.count == 0 {
                // The first commit (the blocked caller's) waits until four more submissions are queued.
                let deadline = Date().addingTimeInterval(10)
                while committer.waitingCount < 4 && Date() < deadline { usleep(1000) }
            }
            commits[commits.count] = group
            return group.map {
                $0 == 3 ? .failure(StoreError(operation: "test", message: "refused 3")) : .success("stored \($0)")
            }
        }
        let record: @Sendable (Int, Result<String, any Error>) -> Void = { work, result in
            answers[work] = result.mapError { $0 as? StoreError ?? StoreError(operation: "test", message: "\($0)") }
        }

        Self.onThreads(2) { thread in
            if thread == 0 {
                record(0, Result { try committer.submit(0, commitGroup: commitGroup) })
                return
            }
            while committer.statistics.groups == 0 { usleep(100) }
            for work in 1...3 {
                completed.enter()
                committer.submit(work, commitGroup: commitGroup) { result in
                    record(work, result)
                    completed.leave()
                }
            }
            record(4, Result { try committer.submit(4, commitGroup: commitGroup) })
        }
        #expect(completed.wait(timeout: .now() + 10) == .success)

        #expect(commits[0] == [0])
        #expect(commits[1] == [1, 2, 3, 4])
        #expect(committer.statistics.groups == 2)
        for work in 0...4 {
            let expected: Result<String, StoreError> =
                work == 3 ? .failure(StoreError(operation: "test", message: "refused 3")) : .success("stored \(work)")
            #expect(answers[work] == expected, "work \(work)")
        }
    }

    /// With nobody blocked, a submission is committed by the commit queue on its own.
    @Test func aSubmissionAloneIsCommittedByTheQueue() {
        let committer = GroupCommitter<Int, Int>()
        let answer = Outcomes<Int>()
        let done = DispatchSemaphore(value: 0)
        committer.submit(20, commitGroup: { group in group.map { .success($0 * 2) } }) { result in
            answer[0] = try? result.get()
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(answer[0] == 40)
    }

    // MARK: - The stores

    static func batch(_ id: String, records: Int, key: String = "p") -> NewBatch {
        NewBatch(
            id: id, client: "office", sourceFormat: "canonical",
            records: (0..<records).map { OutboxStoreContractTests.record("\(key)\(id)-\($0)", "x") },
            destinations: ["a"])
    }

    static func groupCommitting(_ store: any OutboxStore) throws -> any GroupCommittingStore {
        try #require(store as? any GroupCommittingStore)
    }

    /// Enqueues that do not block, many at once from one thread: each completion gets its own batch's
    /// summary only once the batch is committed (a second connection reads it), and they shared commits.
    @Test(arguments: StoreKind.underTest) func enqueuesThatDoNotBlockAreOnDiskWhenTheyComplete(kind: StoreKind) throws {
        let outbox = try OutboxUnderTest(kind)
        let store = try Self.groupCommitting(try outbox.open())
        let observer = try outbox.open()
        let total = 60
        let summaries = Outcomes<Result<BatchSummary, StoreError>>()
        let seenOnDisk = Outcomes<Bool>()
        let completed = DispatchGroup()
        for index in 0..<total {
            completed.enter()
            store.enqueue(Self.batch("a\(index)", records: 2)) { result in
                summaries[index] = result.mapError { StoreError(operation: "test", message: "\($0)") }
                seenOnDisk[index] = (try? observer.batch("a\(index)")) != nil
                completed.leave()
            }
        }
        #expect(completed.wait(timeout: .now() + 60) == .success)

        for index in 0..<total {
            #expect(summaries[index] == .success(BatchSummary(batch: "a\(index)", accepted: 2, unchanged: 0)))
            #expect(seenOnDisk[index] == true, "batch \(index) was not readable when its completion ran")
        }
        #expect(store.committer.statistics.groups < total)
    }

    /// Many threads enqueueing at once: every caller gets its own batch's summary, fewer commits ran than
    /// batches, and after reopening every record of every batch is there.
    @Test(arguments: StoreKind.underTest) func concurrentEnqueuesAllCommitWithTheirOwnResults(kind: StoreKind) throws {
        let outbox = try OutboxUnderTest(kind)
        let store = try Self.groupCommitting(try outbox.open())
        let threads = 24
        let perThread = 8
        let summaries = Outcomes<Result<BatchSummary, StoreError>>()
        Self.onThreads(threads) { thread in
            for round in 0..<perThread {
                let index = thread * perThread + round
                do {
                    summaries[index] = .success(try store.enqueue(Self.batch("b\(index)", records: 1 + index % 3)))
                } catch {
                    summaries[index] = .failure(StoreError(operation: "test", message: "\(error)"))
                }
            }
        }

        let total = threads * perThread
        for index in 0..<total {
            #expect(
                summaries[index] == .success(BatchSummary(batch: "b\(index)", accepted: 1 + index % 3, unchanged: 0)))
        }
        #expect(store.committer.statistics.groups < total)
        #expect(store.committer.statistics.largestGroup > 1)

        let reopened = try outbox.open()
        let records = (0..<total).map { 1 + $0 % 3 }.reduce(0, +)
        #expect(try reopened.counts() == [DeliveryCount(destination: "a", state: .queued, count: records)])
        for index in 0..<total {
            #expect(try reopened.batch("b\(index)")?.records.count == 1 + index % 3)
        }
    }

    /// A batch that fails inside a group (its id is taken) is rolled back alone and reported to its caller;
    /// the batches before and after it in the same transaction are committed.
    @Test(arguments: StoreKind.underTest) func aFailingBatchAmongGoodOnesFailsAlone(kind: StoreKind) throws {
        let outbox = try OutboxUnderTest(kind)
        do {
            let store = try Self.groupCommitting(try outbox.open())
            _ = try store.enqueue(Self.batch("taken", records: 2))
            let results = store.commit([
                Self.batch("first", records: 2), Self.batch("taken", records: 3, key: "other"),
                Self.batch("last", records: 1),
            ])
            #expect(results.count == 3)
            #expect((try? results[0].get()) == BatchSummary(batch: "first", accepted: 2, unchanged: 0))
            #expect(throws: StoreError.self) { try results[1].get() }
            #expect((try? results[2].get()) == BatchSummary(batch: "last", accepted: 1, unchanged: 0))
        }

        let reopened = try outbox.open()
        #expect(try reopened.batch("first")?.records.count == 2)
        #expect(try reopened.batch("last")?.records.count == 1)
        #expect(try reopened.batch("taken")?.records.count == 2)
        #expect(try reopened.counts() == [DeliveryCount(destination: "a", state: .queued, count: 5)])
    }

    /// A batch that fails half-way (after its batch row and first record are written) leaves none of its rows.
    @Test(arguments: StoreKind.underTest) func aBatchFailingHalfWayLeavesNothingBehind(kind: StoreKind) throws {
        let outbox = try OutboxUnderTest(kind)
        let store = try Self.groupCommitting(try outbox.open())
        var poisoned = Self.batch("poisoned", records: 3)
        switch kind {
        case .sqlite:
            try outbox.execute(
                "CREATE TRIGGER refuse_poison AFTER INSERT ON records WHEN NEW.record_key = 'ppoisoned-1' "
                    + "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
        case .postgres:
            // Not UTF-8: the PostgreSQL store refuses it once the batch row is written.
            poisoned.records[1].payload = [0xFF, 0xFE]
        }
        let results = store.commit([Self.batch("before", records: 1), poisoned, Self.batch("after", records: 2)])
        #expect((try? results[0].get())?.accepted == 1)
        #expect(throws: (any Error).self) { try results[1].get() }
        #expect((try? results[2].get())?.accepted == 2)

        let reopened = try outbox.open()
        #expect(try reopened.batch("poisoned") == nil)
        #expect(try reopened.batch("before")?.records.count == 1)
        #expect(try reopened.batch("after")?.records.count == 2)
        #expect(try reopened.counts() == [DeliveryCount(destination: "a", state: .queued, count: 3)])
    }

    /// Through the public `enqueue`: a duplicate batch id among concurrent good batches fails for its caller
    /// only, whichever group it lands in.
    @Test(arguments: StoreKind.underTest) func aDuplicateAmongConcurrentEnqueuesFailsOnlyItsCaller(kind: StoreKind)
        throws
    {
        let outbox = try OutboxUnderTest(kind)
        let store = try outbox.open()
        _ = try store.enqueue(Self.batch("taken", records: 1))
        let outcomes = Outcomes<Bool>()
        Self.onThreads(16) { index in
            let batch = index == 7 ? Self.batch("taken", records: 1, key: "again") : Self.batch("g\(index)", records: 1)
            outcomes[index] = (try? store.enqueue(batch)) != nil
        }
        for index in 0..<16 {
            #expect(outcomes[index] == (index != 7), "caller \(index)")
        }
        #expect(try outbox.open().counts() == [DeliveryCount(destination: "a", state: .queued, count: 16)])
    }
}
