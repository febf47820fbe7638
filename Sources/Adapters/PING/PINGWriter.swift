import Foundation
import PrimesModel

/// Writes canonical persons as one PING ingestion payload,
/// `{ShippingProcessId, InteropId, Data: [{ExternalId, Attachments, Fields: [{Name, Value}]}]}`, item by item.
///
/// A registration group has no ingestion item of its own (its members carry `progres_registrationgroupid`),
/// so a group record is reported as not held rather than written.
public final class PINGWriter: RecordWriter {
    private let sink: any ByteSink
    private let encoder: PINGIngestionEncoder
    private let shippingProcessId: String
    private let interopId: String
    private let json = JSONEncoder()
    private var itemsWritten = 0

    public init(
        sink: any ByteSink, encoder: PINGIngestionEncoder, shippingProcessId: String? = nil, interopId: String? = nil
    ) {
        self.sink = sink
        self.encoder = encoder
        self.shippingProcessId = shippingProcessId ?? encoder.settings.shippingProcessId
        self.interopId = interopId ?? encoder.settings.interopId
        json.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    public func write(_ record: CanonicalRecord, from location: RecordLocation) throws -> WriteNotes {
        guard case .person(let person) = record else { return WriteNotes(notHeld: ["registration group record"]) }
        let item = try encoder.item(for: person, at: location)
        try sink.write(itemsWritten == 0 ? try header() : ",\n")
        try sink.write(Array(try json.encode(item.json)))
        itemsWritten += 1
        return WriteNotes(notHeld: item.notHeld)
    }

    public func finish() throws {
        if itemsWritten == 0 { try sink.write(try header()) }
        try sink.write("\n]}\n")
        try sink.flush()
    }

    private func header() throws -> String {
        let shipping = String(decoding: try json.encode(shippingProcessId), as: UTF8.self)
        let interop = String(decoding: try json.encode(interopId), as: UTF8.self)
        return "{\"ShippingProcessId\":\(shipping),\"InteropId\":\(interop),\"Data\":[\n"
    }
}
