import Adapters
import PrimesModel

/// Reads a source's records through the validator into records the store takes, each with the hashes its
/// subject is compared by: of its whole content, and of each field.
enum PulledRecords {
    static func read(_ reader: any RecordReader, validator: Validator, report: inout ConversionReport) throws
        -> [NewRecord]
    {
        let encoder = CanonicalJSONEncoding()
        let content = SubjectContentHash()
        var records: [NewRecord] = []
        try Conversion(validator: validator).run(reader: reader, writer: nil, report: &report) { item in
            encoder.encode(item.record)
            let key = item.record.key
            records.append(
                NewRecord(
                    key: key, contentHash: content.hash(of: item.record), payload: encoder.bytes,
                    fieldHashes: key == nil ? nil : FieldHashes.of(item.record),
                    isWithdrawal: item.record.isConsentWithdrawal))
        }
        return records
    }
}
