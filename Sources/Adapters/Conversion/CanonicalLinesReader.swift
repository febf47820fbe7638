import PrimesModel

/// A reader that can write the records it reads straight as canonical NDJSON lines, for a conversion to
/// `canonical` (or a validation) that nothing else watches, without building the model in between.
///
/// The lines must be byte for byte what validating each record and writing it with `CanonicalWriter` gives,
/// and a record may take this way only when validation would find nothing in it, not even a warning. What the
/// reader cannot vouch for it returns as ordinary items, which take the general path.
public protocol CanonicalLinesReader: RecordReader {
    /// What `nextBlock` reads for `lines(from:)` to convert.
    associatedtype Block: Sendable

    /// Reads the next block of input, nil at the end. Runs on a thread of its own, ahead of `lines(from:)`,
    /// so it must touch only what `lines(from:)` does not.
    func nextBlock() throws -> Block?

    /// The records of `block`, in input order: runs of records as lines (appended only when `encoding`), each
    /// followed by items for the general path. The lines' records pass every check of a `Validator` with
    /// `codeLists`.
    func lines(from block: Block, validatingWith codeLists: CanonicalCodeLists, encoding: Bool) -> [CanonicalLines]
}

/// A part of the input read by a `CanonicalLinesReader`: valid records as lines, then items.
public struct CanonicalLines: Sendable {
    /// Canonical NDJSON, one record a line; empty when the run only validates.
    public var lines: [UInt8]
    public var recordCount: Int
    /// What follows those records in the input, for the general path.
    public var items: [ReadItem]

    public init(lines: [UInt8] = [], recordCount: Int = 0, items: [ReadItem] = []) {
        self.lines = lines
        self.recordCount = recordCount
        self.items = items
    }
}
