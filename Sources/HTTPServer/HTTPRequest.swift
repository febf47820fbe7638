/// One HTTP request as the server hands it to its handler: the whole body has been read.
public struct HTTPRequest: Sendable {
    /// The method as sent: `GET`, `POST`, …
    public let method: String
    /// The decoded path without the query, such as `/v1/records/canonical`.
    public let path: String
    /// The decoded query parameters in the order they were sent; a parameter without `=` has an empty value.
    public let queryItems: [(name: String, value: String)]
    /// The request headers; names are lower-cased and a repeated header's values are joined with `, `.
    public let headers: [String: String]
    /// The request body, complete.
    public let body: [UInt8]
    /// The client's certificate, present only when the server verified one against its client CA.
    public let clientCertificate: ClientCertificate?
    /// The client's IP address as text (`127.0.0.1`, `::1`).
    public let remoteAddress: String
    /// The client's TCP port; requests on one kept-alive connection share it.
    public let remotePort: UInt16

    /// Makes a request; the server builds these, tests and in-process callers may too.
    public init(
        method: String,
        path: String,
        queryItems: [(name: String, value: String)] = [],
        headers: [String: String] = [:],
        body: [UInt8] = [],
        clientCertificate: ClientCertificate? = nil,
        remoteAddress: String = "",
        remotePort: UInt16 = 0
    ) {
        self.init(
            method: method, path: path, queryItems: queryItems,
            lowerCasedHeaders: Self.headerTable(headers.map { ($0.key.lowercased(), $0.value) }),
            body: body, clientCertificate: clientCertificate, remoteAddress: remoteAddress, remotePort: remotePort)
    }

    /// The server's own: its header names are lower-cased already.
    init(
        method: String, path: String, queryItems: [(name: String, value: String)], lowerCasedHeaders: [String: String],
        body: [UInt8], clientCertificate: ClientCertificate?, remoteAddress: String, remotePort: UInt16
    ) {
        self.method = method
        self.path = path
        self.queryItems = queryItems
        self.headers = lowerCasedHeaders
        self.body = body
        self.clientCertificate = clientCertificate
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
    }

    /// Headers by lower-cased name, a repeated header's values joined with `, `.
    static func headerTable(_ pairs: [(String, String)]) -> [String: String] {
        Dictionary(pairs) { first, second in "\(first), \(second)" }
    }

    /// The value of the header called `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers[name] ?? headers[name.lowercased()]
    }

    /// The first value of the query parameter called `name`.
    public func query(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }
}

/// A TLS client certificate the server verified against its client CA.
public struct ClientCertificate: Sendable, Equatable {
    /// The subject's distinguished name as GnuTLS prints it (RFC 4514), such as `CN=partner,O=Example`.
    public let subject: String
    /// The SHA-256 digest of the certificate's DER encoding, as lower-case hexadecimal.
    public let sha256Fingerprint: String

    public init(subject: String, sha256Fingerprint: String) {
        self.subject = subject
        self.sha256Fingerprint = sha256Fingerprint
    }
}
