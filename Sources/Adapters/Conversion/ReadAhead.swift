import Dispatch
import Synchronization

/// A reader that may run on a thread of its own, ahead of the code that validates and writes its records.
///
/// A reader conforms when `next()` touches nothing but the reader's own state and its `ByteSource`: then
/// reading the next records on a second thread while the caller's thread handles the earlier ones changes
/// only the time taken. (A reader built on libxml2 does not conform: its error handlers are per thread.)
public protocol ReadAheadRecordReader: RecordReader {}

/// A reader whose work splits in two, so that both cores share it: `nextBlock()` reads a block of the input
/// on a thread of its own, and `items(from:)` finishes it on the caller's thread, in input order. As for a
/// `ReadAheadRecordReader`, `nextBlock()` touches nothing but the reader's own state and its `ByteSource`,
/// and `items(from:)` nothing that `nextBlock()` touches.
public protocol SplitRecordReader: RecordReader {
    associatedtype Block: Sendable

    /// The next block of the input; nil at the end.
    func nextBlock() throws -> Block?

    /// The items of `block`, in input order.
    func items(from block: Block) -> [ReadItem]
}

/// Runs a reader on a second thread and hands what it reads to the caller in order, in blocks, through a
/// bounded queue: at most `depth` blocks of `blockSize` elements wait, so memory stays bounded whatever the
/// input's size. An error the reader throws reaches the caller after the elements read before it, exactly where
/// reading on one thread would have met it.
final class ReadAheadQueue<Element: Sendable>: @unchecked Sendable {
    // @unchecked: `produce` runs only on the reading thread, `current` and `currentEnd` are used only on the
    // caller's thread; what passes between them goes through `waiting` (a mutex) and the semaphores.

    private enum BlockEnd: Sendable {
        /// More blocks follow.
        case more
        case endOfInput
        case failed(any Error)
    }

    private struct Block: Sendable {
        /// Last element first, so that the caller moves each out with `popLast`.
        var elements: [Element]
        var end: BlockEnd
    }

    private let produce: () throws -> Element?
    private let blockSize: Int
    private let waiting = Mutex<[Block]>([])
    /// Counts the blocks in `waiting`.
    private let filled = DispatchSemaphore(value: 0)
    /// Counts the blocks the reading thread may still add.
    private let room = DispatchSemaphore(value: 0)
    private let readerFinished = DispatchSemaphore(value: 0)
    private let stopRequested = Atomic<Bool>(false)
    private var current: [Element] = []
    private var currentEnd = BlockEnd.more

    /// Starts calling `produce` on a thread of its own until it returns nil or throws. Call `stop()` before
    /// whatever `produce` uses is used again or freed.
    init(blockSize: Int, depth: Int = 4, produce: @escaping () throws -> Element?) {
        self.produce = produce
        self.blockSize = blockSize
        // A semaphore must not be freed with a count below the one it was made with, so each starts at 0.
        for _ in 0..<depth { room.signal() }
        DispatchQueue(label: "primes-gateway.read-ahead").async { [self] in
            readBlocks()
            readerFinished.signal()
        }
    }

    /// The next element in input order; nil at the end; the reader's error where the reader threw it.
    func next() throws -> Element? {
        while true {
            if let element = current.popLast() { return element }
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
                current = block.elements
                currentEnd = block.end
            }
        }
    }

    /// Stops the reading thread and waits until it no longer runs `produce`.
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
            var block = Block(elements: [], end: .more)
            block.elements.reserveCapacity(blockSize)
            do {
                while block.elements.count < blockSize {
                    guard let element = try produce() else {
                        block.end = .endOfInput
                        break
                    }
                    block.elements.append(element)
                }
            } catch {
                block.end = .failed(error)
            }
            block.elements.reverse()
            let last = if case .more = block.end { false } else { true }
            waiting.withLock { $0.append(block) }
            filled.signal()
            if last { return }
        }
    }
}
