import Adapters
import PrimesModel

/// Reads a source's records through the validator into records the store takes, each with the hashes its
/// subject is compared by: of its whole content, and of each field.
enum PulledRecords {
    /// - Parameter fieldHashKey: the store's key for field hashes (`SourceStore.fieldHashKey`).
    static func read(
        _ reader: any RecordReader, validator: Validator, fieldHashKey: [UInt8]?, report: inout ConversionReport
    ) throws -> [NewRecord] {
        let encoder = CanonicalJSONEncoding()
        let content = SubjectContentHash()
        var records: [NewRecord] = []
        try Conversion(validator: validator).run(reader: reader, writer: nil, report: &report) { item in
            encoder.encode(item.record)
            let key = item.record.key
            records.append(
                NewRecord(
                    key: key, contentHash: content.hash(of: item.record), payload: encoder.bytes,
                    fieldHashes: key == nil ? nil : FieldHashes.of(item.record, key: fieldHashKey),
                    isWithdrawal: item.record.isConsentWithdrawal))
        }
        return records
    }
}
