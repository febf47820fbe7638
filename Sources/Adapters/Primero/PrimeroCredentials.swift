import HTTPClient

/// How the gateway signs in to a Primero instance: HTTP Basic for a native account (it opens no session and
/// needs no CSRF token), or an identity provider's Bearer token for an SSO instance; and the CA to trust.
/// `pull primero` reads them from a credentials file (docs/primero.md), the daemon from its configuration.
public struct PrimeroCredentials: Sendable {
    public let authorization: HTTPAuthorization
    public let caCertificatePath: String?

    public init(authorization: HTTPAuthorization, caCertificatePath: String? = nil) {
        self.authorization = authorization
        self.caCertificatePath = caCertificatePath
    }

    /// A native account, signed in with HTTP Basic.
    public static func basic(user: String, password: String, caCertificatePath: String? = nil) -> PrimeroCredentials {
        PrimeroCredentials(authorization: .basic(user: user, password: password), caCertificatePath: caCertificatePath)
    }

    /// An identity provider's access token, sent as Bearer.
    public static func bearer(_ token: String, caCertificatePath: String? = nil) -> PrimeroCredentials {
        PrimeroCredentials(authorization: .bearer(token), caCertificatePath: caCertificatePath)
    }
}
