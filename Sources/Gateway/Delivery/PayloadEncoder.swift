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

    /// The record's document, or the permanent delivery failure a conversion error means: a record the
    /// format cannot take fails the same way on every attempt.
    public func payload(for record: CanonicalRecord) -> Result<[UInt8], DeliveryFailure> {
        do {
            return .success(try encode(record))
        } catch let rejection as RecordRejection {
            return .failure(
                DeliveryFailure(
                    result: .permanent(
                        reason: "the \(format.name) writer rejected the record",
                        details: rejection.issues.map(\.description)
                    )
                )
            )
        } catch {
            return .failure(
                DeliveryFailure(result: .permanent(reason: "cannot convert to \(format.name)", details: ["\(error)"]))
            )
        }
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

/// A delivery that ended before anything was sent, carrying the result to record.
public struct DeliveryFailure: Error, Sendable {
    public let result: DeliveryResult
}
