import Adapters
import Foundation
import PrimesModel

/// Writes each record as one file in a directory, for SFTP pick-up or carried media.
///
/// The file is named by the idempotency key and written atomically (a temporary name, fsync, rename), so
/// a repeated delivery after a crash replaces the same file with the same bytes instead of adding one.
public struct FileDestination: RecordDestination {
    public let directory: String
    public let encoder: PayloadEncoder

    public init(directory: String, encoder: PayloadEncoder) throws {
        self.directory = directory
        self.encoder = encoder
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    public func deliver(_ record: CanonicalRecord, context: DeliveryContext) -> DeliveryResult {
        let bytes: [UInt8]
        switch encoder.payload(for: record) {
        case .success(let encoded): bytes = encoded
        case .failure(let failure): return failure.result
        }
        let path = directory + "/" + context.idempotencyKey + "." + encoder.fileExtension
        do {
            let output = try FileOutput(path: path)
            try output.write(bytes)
            try output.commit()
            return .delivered(remoteId: nil)
        } catch {
            // A full disk or a missing mount is usually temporary for carried media.
            return .retryable(reason: "\(error)", retryAfterSeconds: nil)
        }
    }
}
