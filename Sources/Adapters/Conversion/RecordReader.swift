import PrimesModel

/// A record read from an input, with what the reader noticed on the way.
public struct SourceRecord: Sendable {
    public var record: CanonicalRecord
    public var location: RecordLocation
    /// Problems that do not stop the record, such as a household size that differs from its member count.
    public var warnings: [FieldIssue]
    /// Source fields kept in the record's `extensions` because no canonical field holds them.
    public var keptInExtensions: [String]

    public init(
        record: CanonicalRecord,
        location: RecordLocation,
        warnings: [FieldIssue] = [],
        keptInExtensions: [String] = []
    ) {
        self.record = record
        self.location = location
        self.warnings = warnings
        self.keptInExtensions = keptInExtensions
    }
}

/// What a reader yields: a record, or a record it could not read.
public enum ReadItem: Sendable {
    case record(SourceRecord)
    case rejected(RecordRejection)
}

/// Reads one format's records into the canonical model, one at a time.
///
/// `next()` throws `InputError` only when the input as a whole cannot be read (the CLI exits 2); a bad record
/// is returned as `.rejected` and reading goes on.
public protocol RecordReader: AnyObject {
    func next() throws -> ReadItem?
}

/// What a writer noticed about one record.
public struct WriteNotes: Sendable {
    /// Canonical fields the record had that the target format cannot hold (by field path).
    public var notHeld: [String]

    public init(notHeld: [String] = []) {
        self.notHeld = notHeld
    }
}

/// Writes canonical records in one format.
///
/// `write` throws `RecordRejection` for a record the format cannot take (a SCOPE member without a last name);
/// any other error stops the conversion.
public protocol RecordWriter: AnyObject {
    func write(_ record: CanonicalRecord, from location: RecordLocation) throws -> WriteNotes
    /// Closes the document (a closing tag, a final bracket) and flushes the output.
    func finish() throws
}
