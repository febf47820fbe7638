import PrimesModel

/// One format the gateway reads or writes, as named by `--from`, `--to` and the HTTP API.
///
/// An adapter joins the gateway by describing itself with a `RecordFormat` and being listed in
/// `FormatRegistry.builtIn`; the CLI and the server find it there by name.
public struct RecordFormat: Sendable {
    public typealias MakeReader = @Sendable (any ByteSource, ConversionContext) throws -> any RecordReader
    public typealias MakeWriter = @Sendable (any ByteSink, ConversionContext) throws -> any RecordWriter

    /// The format's name in the external contract, such as `scope-csv`.
    public let name: String
    public let summary: String
    /// The HTTP media type of a document in this format.
    public let mediaType: String
    /// The mapping file behind the format, relative to `Mappings/`, if it has one.
    public let defaultMapping: String?
    public let makeReader: MakeReader?
    public let makeWriter: MakeWriter?

    public init(
        name: String,
        summary: String,
        mediaType: String,
        defaultMapping: String? = nil,
        makeReader: MakeReader?,
        makeWriter: MakeWriter?
    ) {
        self.name = name
        self.summary = summary
        self.mediaType = mediaType
        self.defaultMapping = defaultMapping
        self.makeReader = makeReader
        self.makeWriter = makeWriter
    }

    public var canRead: Bool { makeReader != nil }
    public var canWrite: Bool { makeWriter != nil }
}

/// Every format the gateway knows, by name; one registry serves the CLI and the server.
public struct FormatRegistry: Sendable {
    public let formats: [RecordFormat]

    public init(_ formats: [RecordFormat]) {
        self.formats = formats
    }

    public func format(named name: String) -> RecordFormat? {
        formats.first { $0.name == name }
    }

    /// The format that can read `name`, or an error that lists the readable ones.
    public func reader(named name: String) throws(FormatLookupError) -> RecordFormat {
        guard let format = format(named: name) else { throw .unknown(name, known: formats.map(\.name)) }
        guard format.canRead else { throw .cannotRead(name, readable: formats.filter(\.canRead).map(\.name)) }
        return format
    }

    /// The format that can write `name`, or an error that lists the writable ones.
    public func writer(named name: String) throws(FormatLookupError) -> RecordFormat {
        guard let format = format(named: name) else { throw .unknown(name, known: formats.map(\.name)) }
        guard format.canWrite else { throw .cannotWrite(name, writable: formats.filter(\.canWrite).map(\.name)) }
        return format
    }
}

/// A format name that is not known, or known only in the other direction.
public enum FormatLookupError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknown(String, known: [String])
    case cannotRead(String, readable: [String])
    case cannotWrite(String, writable: [String])

    public var description: String {
        switch self {
        case .unknown(let name, let known):
            "unknown format \"\(name)\" (known: \(known.joined(separator: ", ")))"
        case .cannotRead(let name, let readable):
            "format \"\(name)\" cannot be read (readable: \(readable.joined(separator: ", ")))"
        case .cannotWrite(let name, let writable):
            "format \"\(name)\" cannot be written (writable: \(writable.joined(separator: ", ")))"
        }
    }
}

/// What a reader or writer needs besides its bytes: the mappings, the code lists, and the options of the run.
public struct ConversionContext: Sendable {
    public let mappings: MappingLibrary
    public let codeLists: CanonicalCodeLists
    /// A mapping file given with `--mapping`, used instead of the format's default.
    public let mappingOverride: String?
    /// When the conversion started, as an ISO 8601 date-time, for `provenance.receivedAt`.
    public let receivedAt: String

    public init(
        mappings: MappingLibrary,
        codeLists: CanonicalCodeLists,
        mappingOverride: String? = nil,
        receivedAt: String = Timestamp.now()
    ) {
        self.mappings = mappings
        self.codeLists = codeLists
        self.mappingOverride = mappingOverride
        self.receivedAt = receivedAt
    }

    /// The mapping the run uses for `format`: the `--mapping` file when it declares that format, else the
    /// format's default. (In `--from scope-csv --to fhir-r4-xml` the override applies to the side it names.)
    public func mapping(for format: RecordFormat) throws -> MappingFile {
        if let mappingOverride {
            let override = try mappings.load(mappingOverride)
            if override.formats.contains(format.name) { return override }
        }
        guard let defaultMapping = format.defaultMapping else { throw MappingError.noMapping(format: format.name) }
        return try mappings.load(defaultMapping)
    }
}
