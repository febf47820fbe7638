import HTTPServer

/// Finds the configured client behind a request: by bearer token (hash compared in constant time) or by
/// the fingerprint of a verified client certificate.
struct ClientAuthenticator: Sendable {
    let clients: [GatewayConfiguration.Client]

    /// The client, or nil when the request carries no credentials the configuration knows.
    func client(for request: HTTPRequest) -> GatewayConfiguration.Client? {
        if let header = request.header("authorization"), header.lowercased().hasPrefix("bearer ") {
            let token = header.dropFirst("bearer ".count).trimmingSpaces()
            // Every hash is compared, so the time taken does not tell which client (or none) matched.
            var found: GatewayConfiguration.Client?
            for client in clients {
                for hash in client.tokenHashes where hash.matches(token) && found == nil { found = client }
            }
            return found
        }
        if let certificate = request.clientCertificate {
            let fingerprint = certificate.sha256Fingerprint.lowercased()
            return clients.first { $0.certificateFingerprints.contains(fingerprint) }
        }
        return nil
    }
}
