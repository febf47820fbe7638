import Foundation

/// A bounded first-in first-out hand-over between the parsing thread and the reading one.
final class CivilItemQueue: @unchecked Sendable {
    /// A record's fragments, not yet through the rules.
    struct Record {
        let fragment: XMLFragment
        let location: RecordLocation
        let index: Int
    }

    enum Entry {
        case items([ReadItem])
        case records([Record], [XMLNameTable.Name])
        case end
        case failure(any Error)
    }

    private let condition = NSCondition()
    private var entries: [Entry] = []
    private var head = 0
    private var cancelled = false
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// How many entries wait to be taken.
    var backlog: Int {
        condition.lock()
        defer { condition.unlock() }
        return entries.count - head
    }

    /// Waits for room and adds `entry`; false when the reader has gone.
    @discardableResult
    func put(_ entry: Entry) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while entries.count - head >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        entries.append(entry)
        condition.broadcast()
        return true
    }

    /// Waits for the next entry.
    func take() -> Entry {
        condition.lock()
        defer { condition.unlock() }
        while entries.count == head { condition.wait() }
        let entry = entries[head]
        // The slot lets go of its items, so that the reader holds the only reference and can reorder them.
        entries[head] = .end
        head += 1
        if head > 64 {
            entries.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return entry
    }

    /// Releases a producer waiting for room, for good.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
