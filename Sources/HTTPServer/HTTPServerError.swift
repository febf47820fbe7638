/// Why an `HTTPServer` could not start.
public enum HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `host` is not an IPv4 or IPv6 literal.
    case invalidHost(String)
    /// A setting is out of range (field name and rule).
    case invalidConfiguration(field: String, rule: String)
    /// A certificate, key or CA file could not be read.
    case unreadableFile(path: String, reason: String)
    /// libmicrohttpd refused to start: the port is taken, the key does not match the certificate, …
    case startFailed(host: String, port: UInt16)

    public var description: String {
        switch self {
        case .invalidHost(let host):
            "HTTP server: host '\(host)' is not an IPv4 or IPv6 address"
        case .invalidConfiguration(let field, let rule):
            "HTTP server: \(field): \(rule)"
        case .unreadableFile(let path, let reason):
            "HTTP server: cannot read \(path): \(reason)"
        case .startFailed(let host, let port):
            "HTTP server: could not listen on \(host) port \(port) (port in use, or TLS certificate and key "
                + "do not match)"
        }
    }
}
