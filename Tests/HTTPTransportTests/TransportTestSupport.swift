import Foundation
import HTTPClient
import HTTPServer
import TestSupport

/// A thread-safe tally of handler calls, so tests can show a handler was or was not reached.
final class CallCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func increment() {
        lock.lock()
        count += 1
        lock.unlock()
    }

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}

/// What the echo handler saw, sent back as JSON.
struct Echo: Codable {
    let method: String
    let path: String
    let query: [[String]]
    let headers: [String: String]
    let body: String
    let clientSubject: String?
    let clientFingerprint: String?
    let remoteAddress: String
    let remotePort: UInt16
}

/// A handler that answers every request with what it saw.
func echoHandler(counter: CallCounter? = nil) -> @Sendable (HTTPRequest) -> HTTPResponse {
    { request in
        counter?.increment()
        let echo = Echo(
            method: request.method,
            path: request.path,
            query: request.queryItems.map { [$0.name, $0.value] },
            headers: request.headers,
            body: String(decoding: request.body, as: UTF8.self),
            clientSubject: request.clientCertificate?.subject,
            clientFingerprint: request.clientCertificate?.sha256Fingerprint,
            remoteAddress: request.remoteAddress,
            remotePort: request.remotePort
        )
        var response = HTTPResponse.json(200, echo)
        response.headers.append((name: "X-Served-By", value: "transport-tests"))
        return response
    }
}

/// A TLS server on 127.0.0.1 with the test certificates.
func startTLSServer(
    host: String = "127.0.0.1",
    clientCA: String? = nil,
    requireClientCertificate: Bool = false,
    maximumBodyBytes: Int = 16 << 20,
    handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
) throws -> HTTPServer {
    let certificates = try TestCertificates.shared()
    let tls = TLSServerConfiguration(
        certificatePath: certificates.serverCertificate,
        privateKeyPath: certificates.serverKey,
        clientCAPath: clientCA,
        requireClientCertificate: requireClientCertificate
    )
    return try HTTPServer(
        configuration: HTTPServerConfiguration(host: host, tls: tls, maximumBodyBytes: maximumBodyBytes),
        handler: handler
    )
}

/// A TLS configuration with the test certificates and one shared thread, or a thread per connection.
func singleThreadConfiguration(threadPerConnection: Bool) throws -> HTTPServerConfiguration {
    let certificates = try TestCertificates.shared()
    var configuration = HTTPServerConfiguration(
        tls: TLSServerConfiguration(
            certificatePath: certificates.serverCertificate, privateKeyPath: certificates.serverKey),
        threadCount: 1)
    configuration.threadPerConnection = threadPerConnection
    return configuration
}

/// A client trusting the test CA, optionally presenting the test client certificate.
func testClient(withClientCertificate: Bool = false, timeoutSeconds: Double = 10) throws -> HTTPClient {
    let certificates = try TestCertificates.shared()
    return HTTPClient(
        configuration: HTTPClientConfiguration(
            caCertificatePath: certificates.caCertificate,
            clientCertificatePath: withClientCertificate ? certificates.clientCertificate : nil,
            clientKeyPath: withClientCertificate ? certificates.clientKey : nil,
            timeoutSeconds: timeoutSeconds,
            connectTimeoutSeconds: 5
        )
    )
}

func decodeEcho(_ response: HTTPClientResponse) throws -> Echo {
    try JSONDecoder().decode(Echo.self, from: Data(response.body))
}

/// Whether this machine can bind a socket on the IPv6 loopback address.
func ipv6LoopbackAvailable() -> Bool {
    let descriptor = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var address = sockaddr_in6()
    address.sin6_family = sa_family_t(AF_INET6)
    address.sin6_addr = in6addr_loopback
    let bound = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
        }
    }
    return bound == 0
}

/// The SHA-256 fingerprint of a PEM certificate as `openssl` computes it, in lower-case hex without colons.
func opensslFingerprint(of path: String) throws -> String {
    let result = try ProcessRunner.run("/usr/bin/openssl", ["x509", "-in", path, "-noout", "-fingerprint", "-sha256"])
    let hex = result.standardOutput.split(separator: "=").last.map(String.init) ?? ""
    return hex.replacingOccurrences(of: ":", with: "").trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
}

/// A plain TCP connection to 127.0.0.1, for tests that need to behave like a slow or idle client.
final class RawConnection {
    let descriptor: Int32

    init(port: UInt16, readTimeoutSeconds: Int = 5) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw RawConnectionError(step: "socket") }
        // Reads give up after a few seconds, so a test can never hang on a server that keeps the connection.
        setReadTimeout(seconds: readTimeoutSeconds)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw RawConnectionError(step: "connect")
        }
    }

    deinit {
        close(descriptor)
    }

    func setReadTimeout(seconds: Int) {
        var limit = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }

    /// Reads until the server closes the connection (or five seconds pass without data); returns what came and
    /// whether the connection was closed by the server.
    func readUntilClosed() -> (text: String, closed: Bool) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        for _ in 0..<1000 {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                received.append(contentsOf: buffer.prefix(count))
                continue
            }
            let closed = count == 0 || errno == ECONNRESET
            return (String(decoding: received, as: UTF8.self), closed)
        }
        return (String(decoding: received, as: UTF8.self), false)
    }
}

struct RawConnectionError: Error {
    let step: String
}
