import HTTPServer
import Testing

@testable import Gateway

@Suite struct ClientAuthenticatorTests {
    static let authenticator = ClientAuthenticator(clients: [
        GatewayConfiguration.Client(name: "registry", tokenHashes: [TokenHash.of("registry-token-not-secret")]),
        GatewayConfiguration.Client(
            name: "partner",
            tokenHashes: [
                TokenHash.of("partner-old-token", algorithm: .blake2b), TokenHash.of("partner-new-token"),
            ],
            certificateFingerprints: [String(repeating: "cd", count: 32)]),
    ])

    static func client(authorization: String?, certificate: ClientCertificate? = nil) -> String? {
        let headers = authorization.map { ["Authorization": $0] } ?? [:]
        let request = HTTPRequest(method: "GET", path: "/v1/sources", headers: headers, clientCertificate: certificate)
        return authenticator.client(for: request)?.name
    }

    @Test func eachTokenNamesItsClientWhateverItsHashAlgorithm() {
        #expect(Self.client(authorization: "Bearer registry-token-not-secret") == "registry")
        #expect(Self.client(authorization: "Bearer partner-old-token") == "partner")
        #expect(Self.client(authorization: "Bearer partner-new-token") == "partner")
    }

    @Test func theSchemeIsReadInAnyCaseAndBlanksAroundTheTokenAreIgnored() {
        #expect(Self.client(authorization: "bearer registry-token-not-secret") == "registry")
        #expect(Self.client(authorization: "BEARER  registry-token-not-secret\t ") == "registry")
    }

    @Test func unknownTokensOtherSchemesAndEmptyTokensNameNoClient() {
        #expect(Self.client(authorization: "Bearer registry-token-not-secreT") == nil)
        #expect(Self.client(authorization: "Bearer ") == nil)
        #expect(Self.client(authorization: "Bearer") == nil)
        #expect(Self.client(authorization: "Basic cmVnaXN0cnk6dG9rZW4=") == nil)
        #expect(Self.client(authorization: "Bearerregistry-token-not-secret") == nil)
        #expect(Self.client(authorization: nil) == nil)
    }

    @Test func aBearerHeaderIsJudgedByItsTokenEvenBesideAKnownCertificate() {
        let certificate = ClientCertificate(
            subject: "CN=partner", sha256Fingerprint: String(repeating: "cd", count: 32))
        #expect(Self.client(authorization: nil, certificate: certificate) == "partner")
        #expect(Self.client(authorization: "Bearer wrong", certificate: certificate) == nil)
    }
}
