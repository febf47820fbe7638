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
    /// The item being written, reused from item to item.
    private var scratch: [UInt8] = []

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
        scratch.removeAll(keepingCapacity: true)
        try append(item, to: &scratch)
        try sink.write(scratch)
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

    // MARK: - Item bytes

    /// Appends `item.json` as `JSONEncoder` with sorted keys and unescaped slashes writes it, byte for byte.
    ///
    /// Encoding each item through `JSONEncoder` cost about a third of a conversion; the item's shape is fixed
    /// (`Attachments`, `ExternalId`, `Fields` of `Name` and `Value`), so it is written here, and only a value
    /// this code does not write the encoder's way (a fraction, an object of other keys) goes to the encoder.
    private func append(_ item: PINGIngestionEncoder.Item, to out: inout [UInt8]) throws {
        out.append(contentsOf: #"{"Attachments":[],"ExternalId":"#.utf8)
        JSONEscape.appendQuoted(item.externalId, to: &out)
        out.append(contentsOf: #","Fields":["#.utf8)
        for (position, field) in item.fields.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"Name":"#.utf8)
            JSONEscape.appendQuoted(field.name, to: &out)
            out.append(contentsOf: #","Value":"#.utf8)
            try append(field.value, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: "]}".utf8)
    }

    /// Appends one field value: strings, whole numbers, booleans, null and references here, others through
    /// the encoder.
    private func append(_ value: JSONValue, to out: inout [UInt8]) throws {
        if Self.appendSimple(value, to: &out) { return }
        if case .object(let object) = value, object.count <= Self.referenceKeys.count,
            object.keys.allSatisfy(Self.referenceKeys.contains)
        {
            // Id < LogicalName < Name in any order the encoder may sort keys by.
            var scalars: [UInt8] = []
            var first = true
            for key in Self.referenceKeys {
                guard let member = object[key] else { continue }
                scalars.removeAll(keepingCapacity: true)
                guard Self.appendSimple(member, to: &scalars) else {
                    out.append(contentsOf: try json.encode(value))
                    return
                }
                out.append(UInt8(ascii: first ? "{" : ","))
                first = false
                JSONEscape.appendQuoted(key, to: &out)
                out.append(UInt8(ascii: ":"))
                out.append(contentsOf: scalars)
            }
            out.append(contentsOf: first ? "{}".utf8 : "}".utf8)
            return
        }
        out.append(contentsOf: try json.encode(value))
    }

    private static let referenceKeys = ["Id", "LogicalName", "Name"]

    /// Appends a string, a whole number below a billion, a boolean or null as the encoder writes it; false
    /// (nothing appended) for any other value.
    private static func appendSimple(_ value: JSONValue, to out: inout [UInt8]) -> Bool {
        switch value {
        case .string(let text):
            JSONEscape.appendQuoted(text, to: &out)
        case .number(let number):
            // The encoder writes a whole Double as its digits; -0 and fractions are left to it.
            guard number.rounded() == number, abs(number) < 1e9, number != 0 || number.sign == .plus else {
                return false
            }
            out.append(contentsOf: String(Int(number)).utf8)
        case .bool(let flag):
            out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .null:
            out.append(contentsOf: "null".utf8)
        case .array, .object:
            return false
        }
        return true
    }
}
