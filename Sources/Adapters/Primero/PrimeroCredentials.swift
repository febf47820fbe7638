import Foundation
import HTTPClient

/// How the gateway signs in to a Primero instance, read from a credentials file (see docs/primero.md):
///
/// ```yaml
/// user: gateway-sync          # a native account: HTTP Basic, which opens no session
/// password: "…"
/// # or, for an instance behind single sign-on:
/// token: "…"                  # the identity provider's access token, sent as Bearer
/// caCertificate: /etc/primes-gateway/primero-ca.pem   # optional: trust this CA (self-signed servers)
/// ```
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

    /// Reads a credentials file. Errors name the file and the missing key, never a secret.
    public static func load(path: String) throws -> PrimeroCredentials {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw InputError.unreadable(path, reason: "cannot read the credentials file")
        }
        let node = try YAMLNode.parse(text, name: path)
        let caCertificate = node["caCertificate"]?.scalar
        if let token = node["token"]?.scalar, !token.isEmpty {
            return PrimeroCredentials(authorization: .bearer(token), caCertificatePath: caCertificate)
        }
        guard let user = node["user"]?.scalar, !user.isEmpty, let password = node["password"]?.scalar else {
            throw InputError.unreadable(path, reason: "needs `user` and `password`, or `token`")
        }
        return PrimeroCredentials(
            authorization: .basic(user: user, password: password), caCertificatePath: caCertificate)
    }
}
