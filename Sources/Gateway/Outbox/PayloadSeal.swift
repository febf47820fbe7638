import CSodium
import Foundation

/// Encrypts record payloads as a store writes them and decrypts them as it reads them back, so that the
/// people a queue holds are not readable from its file, its backups or its PostgreSQL server.
///
/// A sealed payload is `PGS1`, a random 24-byte nonce, then the payload encrypted with XChaCha20-Poly1305
/// (libsodium) under the store key, with the row's content hash as associated data: a payload moved onto
/// another row, or altered, fails to open. Payloads written before a key was configured are canonical
/// JSON (they begin with `{`) and are read as they are, so a key can be added to a running queue.
///
/// The key can be changed on a running queue: the new key seals what is written from then on, and the keys
/// listed as previous still open what was sealed before (each is tried in turn; a wrong key fails at once on
/// the authentication tag). Payloads under an old key leave the store as they are delivered and erased.
///
/// The content hash beside each payload is not encrypted: it is what change detection compares.
public struct PayloadSeal: Sendable {
    static let keyBytes = Int(crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
    private static let nonceBytes = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    private static let tagBytes = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)
    private static let marker = Array("PGS1".utf8)

    private let key: [UInt8]
    /// Keys that sealed payloads before `key`: they open, they never seal.
    private let previousKeys: [[UInt8]]

    /// A seal with a 32-byte key, which also opens what `previousKeys` sealed.
    public init(key: [UInt8], previousKeys: [[UInt8]] = []) throws(SealError) {
        for candidate in [key] + previousKeys where candidate.count != Self.keyBytes {
            throw .badKey("a key is \(candidate.count) bytes, not 32")
        }
        Sodium.ensureInitialised()
        self.key = key
        self.previousKeys = previousKeys
    }

    /// The keys secrets hold, each written as 64 hexadecimal digits (`openssl rand -hex 32`).
    public init(secret: SecretReference, previous: [SecretReference] = []) throws(SealError) {
        try self.init(key: try Self.key(in: secret), previousKeys: try previous.map(Self.key(in:)))
    }

    private static func key(in secret: SecretReference) throws(SealError) -> [UInt8] {
        let text: String
        do {
            text = try secret.read()
        } catch {
            throw .badKey(error.description)
        }
        let digits = text.trimmingCharacters(in: .whitespaces)
        guard digits.utf8.count == 2 * Self.keyBytes, let key = TokenHash.bytes(fromHex: digits) else {
            throw .badKey(
                "the store key in \(secret) is not 64 hexadecimal digits (make one with openssl rand -hex 32)")
        }
        return key
    }

    /// A key for `purpose` (such as keyed field hashes) derived from the store key: an HMAC of the purpose's
    /// name under it, so that the store key itself is used only to seal.
    func derivedKey(for purpose: String) -> [UInt8] {
        TokenHash.hmacSHA256(Array(purpose.utf8), key: key)
    }

    /// `payload` encrypted, bound to the content hash stored beside it.
    func seal(_ payload: [UInt8], contentHash: String) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: Self.nonceBytes)
        Sodium.randomBytes(&nonce)
        var sealed = [UInt8](repeating: 0, count: payload.count + Self.tagBytes)
        var sealedLength: UInt64 = 0
        let associated = Array(contentHash.utf8)
        _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
            &sealed, &sealedLength, payload, UInt64(payload.count), associated, UInt64(associated.count), nil,
            nonce, key)
        return Self.marker + nonce + sealed.prefix(Int(sealedLength))
    }

    /// The payload `stored` holds; nil when it is sealed but opens with none of the keys and this content hash.
    func open(_ stored: [UInt8], contentHash: String) -> [UInt8]? {
        guard Self.isSealed(stored) else { return stored }
        let headerBytes = Self.marker.count + Self.nonceBytes
        guard stored.count >= headerBytes + Self.tagBytes else { return nil }
        let nonce = Array(stored[Self.marker.count..<headerBytes])
        let sealed = Array(stored[headerBytes...])
        var payload = [UInt8](repeating: 0, count: sealed.count - Self.tagBytes)
        var payloadLength: UInt64 = 0
        let associated = Array(contentHash.utf8)
        for key in [key] + previousKeys {
            let status = crypto_aead_xchacha20poly1305_ietf_decrypt(
                &payload, &payloadLength, nil, sealed, UInt64(sealed.count), associated, UInt64(associated.count),
                nonce, key)
            if status == 0 { return Array(payload.prefix(Int(payloadLength))) }
        }
        return nil
    }

    static func isSealed(_ stored: [UInt8]) -> Bool {
        stored.starts(with: marker)
    }
}

/// A store key that cannot be used.
public enum SealError: Error, Sendable, Equatable, CustomStringConvertible {
    case badKey(String)

    public var description: String {
        switch self {
        case .badKey(let reason): reason
        }
    }
}

extension Optional where Wrapped == PayloadSeal {
    /// The bytes to store for `payload`: sealed when there is a seal, as they are otherwise.
    func stored(_ payload: [UInt8], contentHash: String) -> [UInt8] {
        self?.seal(payload, contentHash: contentHash) ?? payload
    }

    /// The payload of stored bytes, or why it cannot be read: sealed with no seal configured, or sealed under
    /// another key.
    func opened(_ stored: [UInt8], contentHash: String) -> (payload: [UInt8], problem: String?) {
        guard PayloadSeal.isSealed(stored) else { return (stored, nil) }
        guard let self else { return ([], "the payload is encrypted and no storeKey is configured") }
        guard let payload = self.open(stored, contentHash: contentHash) else {
            return ([], "the payload does not open with the configured storeKey or previousStoreKeys")
        }
        return (payload, nil)
    }
}
