import Adapters
import Foundation
import PrimesModel
import TestSupport

/// Reading and writing PING documents with the repository's own mapping, for the PING tests.
enum PINGTesting {
    static let mapping: MappingFile = {
        do {
            return try TestEnvironment.adapters.mappings.load(PINGFormat.defaultMapping)
        } catch {
            fatalError("cannot load the PING mapping: \(error)")
        }
    }()

    static func reader(_ source: any ByteSource, mapping: MappingFile = mapping) throws -> PINGReader {
        try PINGReader(
            source: source, mapping: mapping, codeLists: TestEnvironment.adapters.codeLists,
            receivedAt: "2026-01-01T00:00:00Z")
    }

    /// Every item of a document, in order.
    static func items(_ source: any ByteSource) throws -> [ReadItem] {
        let reader = try reader(source)
        var items: [ReadItem] = []
        while let item = try reader.next() { items.append(item) }
        return items
    }

    static func records(_ items: [ReadItem]) -> [SourceRecord] {
        items.compactMap { if case .record(let record) = $0 { record } else { nil } }
    }

    static func persons(_ items: [ReadItem]) -> [Person] {
        records(items).compactMap { if case .person(let person) = $0.record { person } else { nil } }
    }

    static func rejections(_ items: [ReadItem]) -> [RecordRejection] {
        items.compactMap { if case .rejected(let rejection) = $0 { rejection } else { nil } }
    }

    /// Writes persons as one ingestion payload and returns its text.
    static func ingestionPayload(_ records: [CanonicalRecord], mapping: MappingFile = mapping) throws -> (
        text: String, notes: [WriteNotes]
    ) {
        let sink = MemoryOutput()
        let writer = PINGWriter(
            sink: sink,
            encoder: try PINGIngestionEncoder(mapping: mapping, codeLists: TestEnvironment.adapters.codeLists),
            shippingProcessId: "SHP-TEST", interopId: "INT-TEST")
        var notes: [WriteNotes] = []
        for (index, record) in records.enumerated() {
            notes.append(try writer.write(record, from: RecordLocation(source: "test", index: index)))
        }
        try writer.finish()
        return (sink.text, notes)
    }
}
