import Foundation

/// Group commit: callers that write at the same time share one transaction and one durable commit.
///
/// A caller hands its work to `submit` and blocks. When no commit is in progress it becomes the leader: it
/// takes every piece of work waiting (its own included), runs `commitGroup` once for all of them, gives each
/// caller its own result and wakes it. Work that arrives while a commit runs waits for the next one, whose
/// leader is the first of those callers. No caller returns before the commit holding its work has returned,
/// so a durable commit stays durable for every caller; only the number of commits (and fsyncs) shrinks.
///
/// A group's commit must return one result per piece of work, in order, and must keep one failing piece from
/// failing the others: `SavepointTransaction.commitEach` gives each piece a savepoint.
final class GroupCommitter<Work, Output>: @unchecked Sendable {
    private let lock = NSLock()
    private var waiting: [Ticket] = []
    private var leading = false
    private var groups = 0
    private var largestGroup = 0

    init() {}

    /// Commits `work` with whatever else is waiting and returns its own outcome once that commit is done.
    ///
    /// - Parameter commitGroup: writes and commits a group; run by whichever caller leads the commit, so every
    ///   caller passes the same operation.
    /// - Throws: the error of this work alone, or of the commit that would have held it.
    func submit(_ work: Work, commitGroup: ([Work]) -> [Result<Output, any Error>]) throws -> Output {
        let ticket = Ticket(work)
        lock.lock()
        waiting.append(ticket)
        let leads = !leading
        leading = true
        lock.unlock()

        if !leads {
            // Woken either with a result, or because the previous leader made this caller the next one.
            ticket.wake.wait()
        }
        if ticket.result == nil { lead(commitGroup) }
        guard let result = ticket.result else {
            throw StoreError(operation: "group commit", message: "the commit gave no result for this batch")
        }
        return try result.get()
    }

    /// How many commits ran and the most work one of them held; for tests and benchmarks.
    var statistics: (groups: Int, largestGroup: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (groups, largestGroup)
    }

    /// Callers waiting for a commit that has not started; for tests that need a full group.
    var waitingCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return waiting.count
    }

    private func lead(_ commitGroup: ([Work]) -> [Result<Output, any Error>]) {
        lock.lock()
        let group = waiting
        waiting = []
        groups += 1
        largestGroup = max(largestGroup, group.count)
        lock.unlock()

        var results = commitGroup(group.map(\.work))
        if results.count != group.count {
            let error = StoreError(
                operation: "group commit", message: "\(results.count) results for \(group.count) batches")
            results = group.map { _ in .failure(error) }
        }

        // Results are written before anyone is woken; the semaphore orders the write before the read.
        for (ticket, result) in zip(group, results) { ticket.result = result }
        lock.lock()
        let next = waiting.first
        if next == nil { leading = false }
        lock.unlock()
        // The leader is always the first of its group (the first caller, or the one the last leader woke), so
        // only the others are blocked on their semaphores.
        for ticket in group.dropFirst() { ticket.wake.signal() }
        next?.wake.signal()
    }

    /// One caller's work and, once committed, its result.
    private final class Ticket {
        let work: Work
        var result: Result<Output, any Error>?
        let wake = DispatchSemaphore(value: 0)

        init(_ work: Work) {
            self.work = work
        }
    }
}

/// A store whose enqueues go through a `GroupCommitter`; lets tests commit a chosen group at once.
protocol GroupCommittingStore: OutboxStore {
    var committer: GroupCommitter<NewBatch, BatchSummary> { get }
    /// Writes `batches` in one transaction, a savepoint each, and commits once.
    func commit(_ batches: [NewBatch]) -> [Result<BatchSummary, any Error>]
}
