import Foundation

/// Name-based UUIDs (RFC 9562 version 5): the same namespace and name always give the same UUID.
///
/// The gateway derives partner record ids this way (a Primero case id from the proGres individual id), so
/// that a repeated push finds the record it created instead of creating another.
public enum NameBasedUUID {
    /// The version 5 UUID of `name` in `namespace`, in lower case as Primero writes ids.
    public static func version5(namespace: UUID, name: String) -> String {
        let namespaceBytes = withUnsafeBytes(of: namespace.uuid) { Array($0) }
        var hash = Array(SHA1.digest(namespaceBytes + Array(name.utf8)).prefix(16))
        hash[6] = (hash[6] & 0x0F) | 0x50
        hash[8] = (hash[8] & 0x3F) | 0x80
        let hex = hash.map { byte in String(byte, radix: 16).leftPaddedHex }.joined()
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(
                hex[
                    hex.index(
                        hex.startIndex, offsetBy: range.lowerBound)..<hex.index(
                            hex.startIndex, offsetBy: range.upperBound)])
        }
        return groups.joined(separator: "-")
    }
}

extension String {
    fileprivate var leftPaddedHex: String {
        count == 1 ? "0" + self : self
    }
}
