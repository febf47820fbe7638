import Adapters
import PrimesModel

/// The content hash a pulled record is compared by: SHA-256 of its canonical encoding without the time it
/// was received. Readers stamp `provenance.receivedAt` with the time of reading, so a hash of the whole
/// payload would call every re-pulled record changed.
struct SubjectContentHash {
    private let encoder = CanonicalJSONEncoding()

    func hash(of record: CanonicalRecord) -> String {
        var record = record
        switch record {
        case .person(var person):
            person.provenance?.receivedAt = nil
            record = .person(person)
        case .group(var group):
            group.provenance?.receivedAt = nil
            record = .group(group)
        }
        encoder.encode(record)
        return sha256Hex(encoder.bytes)
    }
}
