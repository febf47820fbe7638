import Adapters
import PrimesModel

/// Reads a source's records through the validator into records the store takes, each with the hash its
/// subject is compared by.
enum PulledRecords {
    static func read(_ reader: any RecordReader, validator: Validator, report: inout ConversionReport) throws
        -> [NewRecord]
    {
        let encoder = CanonicalJSONEncoding()
        let content = SubjectContentHash()
        var records: [NewRecord] = []
        try Conversion(validator: validator).run(reader: reader, writer: nil, report: &report) { item in
            encoder.encode(item.record)
            records.append(
                NewRecord(key: item.record.key, contentHash: content.hash(of: item.record), payload: encoder.bytes))
        }
        return records
    }
}
