import CMicroHTTPD
import CSodium

/// The hash of a client's bearer token as the configuration holds it: `sha256:HEX` or `blake2b:HEX`
/// (libsodium's generic hash, 32 bytes). The token itself is never stored.
public struct TokenHash: Sendable, Equatable {
    public enum Algorithm: String, Sendable, CaseIterable {
        case sha256
        case blake2b
    }

    public let algorithm: Algorithm
    public let digest: [UInt8]

    public init(algorithm: Algorithm, digest: [UInt8]) {
        self.algorithm = algorithm
        self.digest = digest
    }

    /// Parses `sha256:HEX` or `blake2b:HEX`; nil when the text is not one of these.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let algorithm = Algorithm(rawValue: String(parts[0])),
            let digest = Self.bytes(fromHex: String(parts[1])), digest.count == 32
        else { return nil }
        self.init(algorithm: algorithm, digest: digest)
    }

    /// The hash of `token` with `algorithm`, for writing a configuration (`primes-gateway` prints none).
    public static func of(_ token: String, algorithm: Algorithm = .sha256) -> TokenHash {
        TokenHash(algorithm: algorithm, digest: digest(of: Array(token.utf8), algorithm: algorithm))
    }

    /// Whether `token` hashes to this digest, compared in constant time.
    public func matches(_ token: String) -> Bool {
        matches(digest: Self.digest(of: Array(token.utf8), algorithm: algorithm))
    }

    /// Whether `presented`, a token's digest with this hash's algorithm, is this digest; compared in constant
    /// time, so that the time taken does not tell how much of it matched.
    func matches(digest presented: [UInt8]) -> Bool {
        guard presented.count == digest.count else { return false }
        return presented.withUnsafeBytes { left in
            digest.withUnsafeBytes { right in
                sodium_memcmp(left.baseAddress, right.baseAddress, right.count) == 0
            }
        }
    }

    public var text: String {
        algorithm.rawValue + ":" + lowerHex(digest)
    }

    static func digest(of bytes: [UInt8], algorithm: Algorithm) -> [UInt8] {
        Sodium.ensureInitialised()
        var out = [UInt8](repeating: 0, count: 32)
        switch algorithm {
        case .sha256:
            // GnuTLS (nettle) rather than libsodium: about six times faster on 200 bytes where the CPU has SHA
            // instructions, and the gateway hashes every record it stores and every token it is shown.
            if gnutls_hash_fast(GNUTLS_DIG_SHA256, bytes, bytes.count, &out) != 0 {
                _ = crypto_hash_sha256(&out, bytes, UInt64(bytes.count))
            }
        case .blake2b:
            _ = crypto_generichash(&out, 32, bytes, UInt64(bytes.count), nil, 0)
        }
        return out
    }

    /// HMAC-SHA-256 of `message` under `key` (any length), from libsodium.
    static func hmacSHA256(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        Sodium.ensureInitialised()
        var state = crypto_auth_hmacsha256_state()
        var out = [UInt8](repeating: 0, count: Int(crypto_auth_hmacsha256_BYTES))
        _ = crypto_auth_hmacsha256_init(&state, key, key.count)
        _ = crypto_auth_hmacsha256_update(&state, message, UInt64(message.count))
        _ = crypto_auth_hmacsha256_final(&state, &out)
        return out
    }

    static func bytes(fromHex text: String) -> [UInt8]? {
        let characters = Array(text.lowercased().utf8)
        guard characters.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(characters.count / 2)
        for index in stride(from: 0, to: characters.count, by: 2) {
            guard let high = nibble(characters[index]), let low = nibble(characters[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}

/// Bytes as lower-case hex, two digits each.
func lowerHex(_ bytes: [UInt8]) -> String {
    let digits: StaticString = "0123456789abcdef"
    return String(unsafeUninitializedCapacity: bytes.count * 2) { text in
        digits.withUTF8Buffer { digit in
            for (position, byte) in bytes.enumerated() {
                text[2 * position] = digit[Int(byte >> 4)]
                text[2 * position + 1] = digit[Int(byte & 0x0F)]
            }
        }
        return bytes.count * 2
    }
}

/// libsodium must be initialised once before use; `sodium_init` is safe to call from several threads.
enum Sodium {
    /// Fills `bytes` from the system's random source.
    static func randomBytes(_ bytes: inout [UInt8]) {
        ensureInitialised()
        randombytes_buf(&bytes, bytes.count)
    }

    static func ensureInitialised() {
        _ = initialised
    }

    private static let initialised: Bool = sodium_init() >= 0
}

/// SHA-256 of bytes as lower-case hex: content hashes and idempotency keys.
func sha256Hex(_ bytes: [UInt8]) -> String {
    lowerHex(TokenHash.digest(of: bytes, algorithm: .sha256))
}
