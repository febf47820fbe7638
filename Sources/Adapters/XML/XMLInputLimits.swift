/// The bounds the hardened XML reader enforces on input that comes from outside.
///
/// Beyond these, libxml2 itself (parsed without `XML_PARSE_HUGE`) refuses a nesting deeper than 256 and a
/// single text node over 10,000,000 bytes; the limits here are tighter and apply per record.
public struct XMLInputLimits: Sendable, Equatable {
    /// The deepest element nesting accepted, counted from the document's root.
    public var maximumDepth: Int
    /// The largest single text or attribute value accepted, in bytes.
    public var maximumTextBytes: Int
    /// The largest single record (one Bundle entry group, one evidence document), in bytes of input.
    public var maximumRecordBytes: Int
    /// The largest document accepted, in bytes; a multi-gigabyte file is fine, an endless stream is not.
    public var maximumDocumentBytes: Int

    public init(
        maximumDepth: Int = 48,
        maximumTextBytes: Int = 1 << 20,
        maximumRecordBytes: Int = 16 << 20,
        maximumDocumentBytes: Int = 64 << 30
    ) {
        self.maximumDepth = maximumDepth
        self.maximumTextBytes = maximumTextBytes
        self.maximumRecordBytes = maximumRecordBytes
        self.maximumDocumentBytes = maximumDocumentBytes
    }

    public static let standard = XMLInputLimits()
}
