import Foundation

/// Group commit: callers that write at the same time share one transaction and one durable commit.
///
/// A caller hands its work to `submit` and blocks. When no commit is in progress it becomes the leader: it
/// takes every piece of work waiting (its own included), runs `commitGroup` once for all of them, gives each
/// caller its own result and wakes it. Work that arrives while a commit runs waits for the next one, whose
/// leader is the first of those callers. No caller returns before the commit holding its work has returned,
/// so a durable commit stays durable for every caller; only the number of commits (and fsyncs) shrinks.
///
/// A caller that must not block (a server thread answering many connections) uses
/// `submit(_:commitGroup:then:)` instead: its work joins the same groups, a commit queue leads when no blocked
/// caller does, and its completion is called on the thread that ran the commit.
///
/// A group's commit must return one result per piece of work, in order, and must keep one failing piece from
/// failing the others: `SavepointTransaction.commitEach` writes them again with a savepoint each when one fails.
final class GroupCommitter<Work, Output>: @unchecked Sendable {
    private let lock = NSLock()
    private var waiting: [Ticket] = []
    private var leading = false
    private var groups = 0
    private var largestGroup = 0
    /// Leads the commits that no blocked caller leads; concurrent, so that a commit can start while the
    /// previous one's completions still run (`leading` keeps commits one at a time).
    private let commitQueue = DispatchQueue(label: "outbox.group-commit", attributes: .concurrent)

    init() {}

    /// Writes and commits a group. Run by whichever caller (or the queue) leads a commit, so every caller
    /// passes the same operation.
    typealias CommitGroup = @Sendable ([Work]) -> [Result<Output, any Error>]

    /// Commits `work` with whatever else is waiting and returns its own outcome once that commit is done.
    ///
    /// - Throws: the error of this work alone, or of the commit that would have held it.
    func submit(_ work: Work, commitGroup: @escaping CommitGroup) throws -> Output {
        let wake = DispatchSemaphore(value: 0)
        let ticket = Ticket(work, waking: .semaphore(wake))
        if !queue(ticket) {
            // Woken either with a result, or because the previous leader made this caller the next one.
            wake.wait()
        }
        if ticket.result == nil { lead(by: ticket, commitGroup) }
        guard let result = ticket.result else { throw Self.noResult }
        return try result.get()
    }

    /// Commits `work` with whatever else is waiting without blocking; `completion` gets its outcome once that
    /// commit is done, on the thread that ran it.
    func submit(
        _ work: Work, commitGroup: @escaping CommitGroup,
        then completion: @escaping @Sendable (Result<Output, any Error>) -> Void
    ) {
        if queue(Ticket(work, waking: .completion(completion))) {
            commitQueue.async { self.lead(by: nil, commitGroup) }
        }
    }

    /// Adds `ticket` to the work waiting; true when no commit is led, and its caller must now lead one.
    private func queue(_ ticket: Ticket) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        waiting.append(ticket)
        let leads = !leading
        leading = true
        return leads
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

    /// Commits everything waiting. `leader` is the blocked caller running this, nil for the commit queue.
    private func lead(by leader: Ticket?, _ commitGroup: @escaping CommitGroup) {
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
        // The next commit starts first, so that answering this group (completions log and resume connections)
        // overlaps with its writes and fsync instead of delaying them.
        if let next {
            switch next.waking {
            case .semaphore(let wake): wake.signal()
            case .completion: commitQueue.async { self.lead(by: nil, commitGroup) }
            }
        }
        // Everyone but the leader learns its result.
        for ticket in group where ticket !== leader {
            switch ticket.waking {
            case .semaphore(let wake): wake.signal()
            case .completion(let completion): completion(ticket.result ?? .failure(Self.noResult))
            }
        }
    }

    private static var noResult: StoreError {
        StoreError(operation: "group commit", message: "the commit gave no result for this batch")
    }

    /// One caller's work and, once committed, its result.
    private final class Ticket {
        /// How the caller learns that its result is there.
        enum Waking {
            case semaphore(DispatchSemaphore)
            case completion(@Sendable (Result<Output, any Error>) -> Void)
        }

        let work: Work
        let waking: Waking
        var result: Result<Output, any Error>?

        init(_ work: Work, waking: Waking) {
            self.work = work
            self.waking = waking
        }
    }
}

/// A store whose enqueues go through a `GroupCommitter`; lets tests commit a chosen group at once.
protocol GroupCommittingStore: OutboxStore {
    var committer: GroupCommitter<NewBatch, BatchSummary> { get }
    /// Writes `batches` in one transaction and commits once; a failing batch fails alone.
    func commit(_ batches: [NewBatch]) -> [Result<BatchSummary, any Error>]
}
