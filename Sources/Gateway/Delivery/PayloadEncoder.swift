import Adapters
import PrimesModel

/// Turns one canonical record into a destination's format, through the format registry and its mapping.
///
/// The gateway itself knows no format: it looks the destination's format up by name.
public struct PayloadEncoder: Sendable {
    public let format: RecordFormat
    let context: ConversionContext

    public init(formatName: String, environment: AdapterEnvironment, mapping: String? = nil) throws {
        format = try environment.registry.writer(named: formatName)
        context = environment.context(mappingOverride: mapping)
    }

    /// The record as one document of the format. Throws `RecordRejection` when the format cannot take it.
    public func encode(_ record: CanonicalRecord) throws -> [UInt8] {
        guard let makeWriter = format.makeWriter else {
            throw FormatLookupError.cannotWrite(format.name, writable: [])
        }
        let sink = MemoryOutput()
        let writer = try makeWriter(sink, context)
        _ = try writer.write(record, from: RecordLocation(source: "outbox"))
        try writer.finish()
        return sink.bytes
    }

    /// A file-name extension for the format's media type.
    public var fileExtension: String {
        let type = format.mediaType
        if type.contains("ndjson") { return "ndjson" }
        if type.contains("json") { return "json" }
        if type.contains("xml") { return "xml" }
        if type.contains("csv") { return "csv" }
        return "dat"
    }
}
