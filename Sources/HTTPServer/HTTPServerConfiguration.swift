/// Where the server's TLS certificate and key are, and whether it asks clients for certificates.
public struct TLSServerConfiguration: Sendable {
    /// PEM file with the server's certificate, followed by any intermediate certificates.
    public var certificatePath: String
    /// PEM file with the server's private key (unencrypted).
    public var privateKeyPath: String
    /// PEM file with the CA certificates client certificates are verified against. When set, clients are asked
    /// for a certificate during the handshake, and a verified one reaches the handler as
    /// `HTTPRequest.clientCertificate`.
    public var clientCAPath: String?
    /// When true (and `clientCAPath` is set), a request without a verified client certificate is refused with
    /// 403 `client_certificate_required` before the handler sees it.
    public var requireClientCertificate: Bool

    public init(
        certificatePath: String,
        privateKeyPath: String,
        clientCAPath: String? = nil,
        requireClientCertificate: Bool = false
    ) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.clientCAPath = clientCAPath
        self.requireClientCertificate = requireClientCertificate
    }
}

/// How an `HTTPServer` listens and what it accepts.
public struct HTTPServerConfiguration: Sendable {
    /// The address to bind, an IPv4 or IPv6 literal (`127.0.0.1`, `::1`, `0.0.0.0`, `::`).
    public var host: String = "127.0.0.1"
    /// The port to bind; 0 lets the system choose one, which `HTTPServer.port` then reports.
    public var port: UInt16 = 0
    /// TLS settings; nil serves plain HTTP.
    public var tls: TLSServerConfiguration?
    /// How many threads accept connections and run the handler; each runs one handler call at a time.
    public var threadCount: Int = 4
    /// When true, every connection gets a thread of its own (up to `connectionLimit`) instead of sharing one of
    /// `threadCount`: a handler that blocks (on a disk commit, say) then delays only its own connection, never
    /// the other connections that a shared thread also serves. `threadCount` is not used.
    public var threadPerConnection = false
    /// Bodies larger than this are answered with 413 `payload_too_large` without calling the handler.
    public var maximumBodyBytes: Int = 16 << 20
    /// A connection idle for this long (a slow or silent client) is closed.
    public var connectionTimeoutSeconds: Int = 30
    /// At most this many connections are open at once; further ones wait in the system's listen queue until one
    /// ends (and are refused by the system when that queue is full). Raised to `threadCount` if lower.
    public var connectionLimit: Int = 1024

    public init(
        host: String = "127.0.0.1",
        port: UInt16 = 0,
        tls: TLSServerConfiguration? = nil,
        threadCount: Int = 4,
        maximumBodyBytes: Int = 16 << 20,
        connectionTimeoutSeconds: Int = 30,
        connectionLimit: Int = 1024
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.threadCount = threadCount
        self.maximumBodyBytes = maximumBodyBytes
        self.connectionTimeoutSeconds = connectionTimeoutSeconds
        self.connectionLimit = connectionLimit
    }
}
