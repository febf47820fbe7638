import Dispatch
import Synchronization

/// A reader that may run on a thread of its own, ahead of the code that validates and writes its records.
///
/// A reader conforms when `next()` touches nothing but the reader's own state and its `ByteSource`: then
/// reading the next records on a second thread while the caller's thread handles the earlier ones changes
/// only the time taken. (A reader built on libxml2 does not conform: its error handlers are per thread.)
public protocol ReadAheadRecordReader: RecordReader {}

/// Runs a reader on a second thread and hands its items to the caller in order, in blocks, through a
/// bounded queue: at most `depth` blocks of `blockSize` items wait, so memory stays bounded whatever the
/// input's size. An error the reader throws reaches the caller after the items read before it, exactly where
/// reading on one thread would have met it.
final class ReadAheadQueue: @unchecked Sendable {
    // @unchecked: `reader` is used only on the reading thread, `current` and `currentEnd` only on the caller's
    // thread; what passes between them goes through `waiting` (a mutex) and the semaphores.

    private enum BlockEnd: Sendable {
        /// More blocks follow.
        case more
        case endOfInput
        case failed(any Error)
    }

    private struct Block: Sendable {
        var items: [ReadItem]
        var end: BlockEnd
    }

    private let reader: any RecordReader
    private let blockSize: Int
    private let waiting = Mutex<[Block]>([])
    /// Counts the blocks in `waiting`.
    private let filled = DispatchSemaphore(value: 0)
    /// Counts the blocks the reading thread may still add.
    private let room = DispatchSemaphore(value: 0)
    private let readerFinished = DispatchSemaphore(value: 0)
    private let stopRequested = Atomic<Bool>(false)
    private var current: [ReadItem] = []
    private var currentEnd = BlockEnd.more

    /// Starts reading `reader` on a thread of its own. Call `stop()` before the reader is used again or freed.
    init(reader: any ReadAheadRecordReader, blockSize: Int = 512, depth: Int = 4) {
        self.reader = reader
        self.blockSize = blockSize
        // A semaphore must not be freed with a count below the one it was made with, so each starts at 0.
        for _ in 0..<depth { room.signal() }
        DispatchQueue(label: "primes-gateway.read-ahead").async { [self] in
            readBlocks()
            readerFinished.signal()
        }
    }

    /// The next item in input order; nil at the end; the reader's error where the reader threw it.
    func next() throws -> ReadItem? {
        while true {
            if let item = current.popLast() { return item }
            switch currentEnd {
            case .endOfInput:
                return nil
            case .failed(let error):
                currentEnd = .endOfInput
                throw error
            case .more:
                filled.wait()
                let block = waiting.withLock { $0.removeFirst() }
                room.signal()
                current = block.items.reversed()
                currentEnd = block.end
            }
        }
    }

    /// Stops the reading thread and waits until it no longer touches the reader.
    func stop() {
        stopRequested.store(true, ordering: .releasing)
        // one more permit, so that a reading thread waiting for room wakes up and sees the request
        room.signal()
        readerFinished.wait()
    }

    private func readBlocks() {
        while true {
            room.wait()
            if stopRequested.load(ordering: .acquiring) { return }
            var block = Block(items: [], end: .more)
            block.items.reserveCapacity(blockSize)
            do {
                while block.items.count < blockSize {
                    guard let item = try reader.next() else {
                        block.end = .endOfInput
                        break
                    }
                    block.items.append(item)
                }
            } catch {
                block.end = .failed(error)
            }
            let last = if case .more = block.end { false } else { true }
            waiting.withLock { $0.append(block) }
            filled.signal()
            if last { return }
        }
    }
}
