/// Credentials sent in the `Authorization` header.
public enum HTTPAuthorization: Sendable {
    /// `Authorization: Basic base64(user:password)`.
    case basic(user: String, password: String)
    /// `Authorization: Bearer token`.
    case bearer(String)

    /// The header value.
    var headerValue: String {
        switch self {
        case .basic(let user, let password):
            "Basic " + base64(Array("\(user):\(password)".utf8))
        case .bearer(let token):
            "Bearer " + token
        }
    }
}

/// How an `HTTPClient` connects: which CAs it trusts, its own certificate, and how long it waits.
public struct HTTPClientConfiguration: Sendable {
    /// PEM file of the CA (or CAs) to trust instead of the system's; for partners with a private CA.
    public var caCertificatePath: String?
    /// PEM file of the client certificate presented for mutual TLS.
    public var clientCertificatePath: String?
    /// PEM file of the client certificate's private key (unencrypted).
    public var clientKeyPath: String?
    /// The longest a whole request may take, connecting included; beyond it `send` throws `.timedOut`.
    public var timeoutSeconds: Double = 30
    /// The longest connecting (TCP and TLS handshake) may take.
    public var connectTimeoutSeconds: Double = 10

    public init(
        caCertificatePath: String? = nil,
        clientCertificatePath: String? = nil,
        clientKeyPath: String? = nil,
        timeoutSeconds: Double = 30,
        connectTimeoutSeconds: Double = 10
    ) {
        self.caCertificatePath = caCertificatePath
        self.clientCertificatePath = clientCertificatePath
        self.clientKeyPath = clientKeyPath
        self.timeoutSeconds = timeoutSeconds
        self.connectTimeoutSeconds = connectTimeoutSeconds
    }
}

/// One request to send.
public struct HTTPClientRequest: Sendable {
    /// `GET`, `POST`, `PUT`, …
    public var method: String
    /// The full URL, `https://host:port/path?query`.
    public var url: String
    /// Extra headers, sent in this order.
    public var headers: [(name: String, value: String)]
    /// The body, or nil for none.
    public var body: [UInt8]?
    /// Credentials for the `Authorization` header.
    public var authorization: HTTPAuthorization?

    public init(
        method: String = "GET",
        url: String,
        headers: [(name: String, value: String)] = [],
        body: [UInt8]? = nil,
        authorization: HTTPAuthorization? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.authorization = authorization
    }
}

/// The answer to a request, whatever its status.
public struct HTTPClientResponse: Sendable {
    /// The status code of the final response.
    public let status: Int
    /// Response headers with lower-cased names; a repeated header's values are joined with `, `.
    public let headers: [String: String]
    /// The response body.
    public let body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of the header called `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }

    /// The body decoded as UTF-8 (invalid bytes become U+FFFD).
    public var text: String {
        String(decoding: body, as: UTF8.self)
    }
}

/// Why a request got no HTTP response. A response with an error status is not an error here.
///
/// URLs in these errors have any `user:password@` part removed, and no header value appears in them.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL cannot be parsed or uses a scheme other than http and https.
    case invalidURL(String)
    /// The request did not finish within the configured time.
    case timedOut(url: String)
    /// The host could not be resolved or reached, or the connection broke.
    case connectionFailed(url: String, reason: String)
    /// The TLS handshake failed: untrusted or mismatched certificate, unreadable CA or client certificate.
    case tlsFailed(url: String, reason: String)
    /// Any other transfer failure.
    case other(url: String, reason: String)

    public var description: String {
        switch self {
        case .invalidURL(let url):
            "invalid URL \(url)"
        case .timedOut(let url):
            "\(url): timed out"
        case .connectionFailed(let url, let reason):
            "\(url): connection failed: \(reason)"
        case .tlsFailed(let url, let reason):
            "\(url): TLS failed: \(reason)"
        case .other(let url, let reason):
            "\(url): \(reason)"
        }
    }
}

/// Standard base64 with padding; small enough not to need Foundation here.
private func base64(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var output: [UInt8] = []
    output.reserveCapacity((bytes.count + 2) / 3 * 4)
    var index = 0
    while index < bytes.count {
        let first = UInt32(bytes[index])
        let second = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
        let third = index + 2 < bytes.count ? UInt32(bytes[index + 2]) : 0
        let group = first << 16 | second << 8 | third
        output.append(alphabet[Int(group >> 18 & 63)])
        output.append(alphabet[Int(group >> 12 & 63)])
        output.append(index + 1 < bytes.count ? alphabet[Int(group >> 6 & 63)] : UInt8(ascii: "="))
        output.append(index + 2 < bytes.count ? alphabet[Int(group & 63)] : UInt8(ascii: "="))
        index += 3
    }
    return String(decoding: output, as: UTF8.self)
}
