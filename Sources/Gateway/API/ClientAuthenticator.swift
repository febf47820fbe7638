import HTTPServer

/// Finds the configured client behind a request: by bearer token (hash compared in constant time) or by
/// the fingerprint of a verified client certificate.
struct ClientAuthenticator: Sendable {
    let clients: [GatewayConfiguration.Client]
    /// Every configured token hash with the position of its client in `clients`, flattened once: every request
    /// is checked against all of them.
    private let hashes: [(hash: TokenHash, client: Int)]

    init(clients: [GatewayConfiguration.Client]) {
        self.clients = clients
        hashes = clients.enumerated().flatMap { position, client in
            client.tokenHashes.map { (hash: $0, client: position) }
        }
    }

    /// The client, or nil when the request carries no credentials the configuration knows.
    func client(for request: HTTPRequest) -> GatewayConfiguration.Client? {
        if let header = request.header("authorization"), let token = Self.bearerToken(in: header) {
            // The token is hashed once per algorithm in use, and every hash is compared, so the time taken does
            // not tell which client (or none) matched.
            var digests: [TokenHash.Algorithm: [UInt8]] = [:]
            var found: Int?
            for (hash, client) in hashes {
                let digest = digests[hash.algorithm] ?? TokenHash.digest(of: token, algorithm: hash.algorithm)
                digests[hash.algorithm] = digest
                if hash.matches(digest: digest) && found == nil { found = client }
            }
            return found.map { clients[$0] }
        }
        if let certificate = request.clientCertificate {
            let fingerprint = certificate.sha256Fingerprint.lowercased()
            return clients.first { $0.certificateFingerprints.contains(fingerprint) }
        }
        return nil
    }

    /// The token's bytes after `Bearer ` (the scheme in any case), spaces and tabs around it trimmed; nil for
    /// another scheme.
    static func bearerToken(in header: String) -> [UInt8]? {
        let bytes = Array(header.utf8)
        let scheme = Array("bearer ".utf8)
        guard bytes.count >= scheme.count else { return nil }
        for (byte, expected) in zip(bytes, scheme) where byte | 0x20 != expected {
            return nil
        }
        let blank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        var token = bytes[scheme.count...]
        while let first = token.first, blank(first) { token = token.dropFirst() }
        while let last = token.last, blank(last) { token = token.dropLast() }
        return Array(token)
    }
}
