import CMicroHTTPD
import Foundation

/// An HTTP/1.1 server on libmicrohttpd, with TLS through its GnuTLS and optional client-certificate checks.
///
/// Connections are accepted by `threadCount` threads, each running an epoll loop (or by a thread per
/// connection); a request's body is read in full and then handed to the handler on that thread. A handler may
/// answer later from another thread through its `HTTPResponder`: the connection is then suspended and the
/// thread serves other connections meanwhile. The server listens from `init` until `stop()` (or until it is
/// released).
///
/// Known shortcoming: a handler that traps (force unwrap, `fatalError`, array index out of range) ends the whole
/// process, because Swift has no way to recover from a trap; handlers must turn their errors into responses.
public final class HTTPServer: @unchecked Sendable {
    /// The port the server listens on; the one the system chose when the configuration asked for port 0.
    public let port: UInt16

    private let daemon: OpaquePointer
    private let context: Unmanaged<ServerContext>
    private let tlsMaterial: [UnsafeMutablePointer<CChar>]
    private let lock = NSLock()
    private var stopped = false

    /// Starts listening; the handler is called for every request whose body fits `maximumBodyBytes` and
    /// returns its response.
    ///
    /// - Throws: `HTTPServerError` when the host is not an IP literal, a TLS file cannot be read, or
    ///   libmicrohttpd cannot bind or load the certificate.
    public convenience init(
        configuration: HTTPServerConfiguration,
        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
    ) throws {
        try self.init(configuration: configuration) { request, responder in responder.send(handler(request)) }
    }

    /// Starts listening; the handler is called for every request whose body fits `maximumBodyBytes` and
    /// answers through its responder, at once or later from another thread (a request waiting for a disk
    /// commit, say, then holds no server thread).
    ///
    /// - Throws: `HTTPServerError` when the host is not an IP literal, a TLS file cannot be read, or
    ///   libmicrohttpd cannot bind or load the certificate.
    public init(
        configuration: HTTPServerConfiguration,
        responder handler: @escaping @Sendable (HTTPRequest, HTTPResponder) -> Void
    ) throws {
        try Self.check(configuration)
        let address = try ListeningAddress(host: configuration.host, port: configuration.port)
        let tlsMaterial = try configuration.tls.map(Self.loadTLSMaterial) ?? []
        let context = Unmanaged.passRetained(
            ServerContext(
                handler: handler,
                maximumBodyBytes: configuration.maximumBodyBytes,
                suspendsConnections: !configuration.threadPerConnection,
                verifiesClientCertificates: configuration.tls?.clientCAPath != nil,
                requiresClientCertificate: configuration.tls.map {
                    $0.clientCAPath != nil && $0.requireClientCertificate
                } ?? false
            )
        )

        var flags = MHD_USE_INTERNAL_POLLING_THREAD.rawValue
        // A thread per connection waits on its own socket with poll(); a shared pool uses one epoll each.
        flags |=
            configuration.threadPerConnection
            ? MHD_USE_THREAD_PER_CONNECTION.rawValue | MHD_USE_POLL.rawValue
            : MHD_USE_EPOLL.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue
        if configuration.tls != nil { flags |= MHD_USE_TLS.rawValue }
        if address.isIPv6 { flags |= MHD_USE_IPv6.rawValue }

        var options: [MHD_OptionItem] = []
        if !configuration.threadPerConnection {
            options.append(MHD_OptionItem(option: .THREAD_POOL_SIZE, value: configuration.threadCount, ptr_value: nil))
        }
        options += [
            MHD_OptionItem(
                option: .CONNECTION_TIMEOUT, value: configuration.connectionTimeoutSeconds, ptr_value: nil),
            MHD_OptionItem(
                option: .CONNECTION_LIMIT, value: max(configuration.connectionLimit, configuration.threadCount),
                ptr_value: nil),
            MHD_OptionItem(
                option: .NOTIFY_COMPLETED, value: unsafeBitCast(requestCompleted, to: Int.self),
                ptr_value: nil),
            MHD_OptionItem(option: .SOCK_ADDR, value: 0, ptr_value: address.storage),
        ]
        if tlsMaterial.count >= 2 {
            options.append(MHD_OptionItem(option: .HTTPS_MEM_CERT, value: 0, ptr_value: tlsMaterial[0]))
            options.append(MHD_OptionItem(option: .HTTPS_MEM_KEY, value: 0, ptr_value: tlsMaterial[1]))
        }
        if tlsMaterial.count >= 3 {
            options.append(MHD_OptionItem(option: .HTTPS_MEM_TRUST, value: 0, ptr_value: tlsMaterial[2]))
        }
        options.append(MHD_OptionItem(option: .END, value: 0, ptr_value: nil))

        let started = options.withUnsafeBufferPointer { items in
            primes_mhd_start_daemon(
                flags, configuration.port, handleRequest, context.toOpaque(), items.baseAddress)
        }
        address.release()
        guard let started else {
            context.release()
            tlsMaterial.forEach { free($0) }
            throw HTTPServerError.startFailed(host: configuration.host, port: configuration.port)
        }
        self.daemon = started
        self.context = context
        self.tlsMaterial = tlsMaterial
        self.port = primes_mhd_daemon_info(started, .DAEMON_INFO_BIND_PORT)?.pointee.port ?? configuration.port
    }

    deinit {
        stop()
    }

    /// Stops listening, waits for requests in progress to finish, and closes every connection. Idempotent.
    ///
    /// A request whose handler has not answered within `grace` seconds is answered 503 `server_stopping`:
    /// libmicrohttpd cannot stop while a connection is suspended or its thread waits.
    public func stop(grace: Double = 30) {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        context.takeUnretainedValue().drainWaiting(grace: grace)
        MHD_stop_daemon(daemon)
        context.release()
        tlsMaterial.forEach { free($0) }
    }

    private static func check(_ configuration: HTTPServerConfiguration) throws {
        if configuration.threadCount < 1 || configuration.threadCount > 1024 {
            throw HTTPServerError.invalidConfiguration(field: "threadCount", rule: "must be between 1 and 1024")
        }
        if configuration.maximumBodyBytes < 0 {
            throw HTTPServerError.invalidConfiguration(field: "maximumBodyBytes", rule: "must not be negative")
        }
        if configuration.connectionTimeoutSeconds < 0 {
            throw HTTPServerError.invalidConfiguration(field: "connectionTimeoutSeconds", rule: "must not be negative")
        }
        if configuration.connectionLimit < 1 {
            throw HTTPServerError.invalidConfiguration(field: "connectionLimit", rule: "must be at least 1")
        }
    }

    /// Reads the certificate, key and (optional) client CA as C strings, in that order. libmicrohttpd is given
    /// pointers to them, so they live until the daemon has stopped.
    private static func loadTLSMaterial(_ tls: TLSServerConfiguration) throws -> [UnsafeMutablePointer<CChar>] {
        let paths = [tls.certificatePath, tls.privateKeyPath] + (tls.clientCAPath.map { [$0] } ?? [])
        var loaded: [UnsafeMutablePointer<CChar>] = []
        for path in paths {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                loaded.forEach { free($0) }
                throw HTTPServerError.unreadableFile(path: path, reason: error.localizedDescription)
            }
            guard let copy = strdup(text) else {
                loaded.forEach { free($0) }
                throw HTTPServerError.unreadableFile(path: path, reason: "out of memory")
            }
            loaded.append(copy)
        }
        return loaded
    }
}

/// What the C callbacks need to reach: the handler, the limits and the requests waiting for an answer. Retained for the
/// daemon's lifetime.
final class ServerContext: @unchecked Sendable {
    let handler: @Sendable (HTTPRequest, HTTPResponder) -> Void
    let maximumBodyBytes: Int
    let verifiesClientCertificates: Bool
    let requiresClientCertificate: Bool
    /// False with a thread per connection, where libmicrohttpd cannot suspend one.
    private let suspendsConnections: Bool
    private let lock = NSLock()
    private var phase = Phase.serving
    /// Requests whose handler returned without answering, until they are answered.
    private var waiting: [ObjectIdentifier: HTTPResponder] = [:]

    private enum Phase {
        case serving, draining, stopped
    }

    init(
        handler: @escaping @Sendable (HTTPRequest, HTTPResponder) -> Void,
        maximumBodyBytes: Int,
        suspendsConnections: Bool,
        verifiesClientCertificates: Bool,
        requiresClientCertificate: Bool
    ) {
        self.handler = handler
        self.maximumBodyBytes = maximumBodyBytes
        self.suspendsConnections = suspendsConnections
        self.verifiesClientCertificates = verifiesClientCertificates
        self.requiresClientCertificate = requiresClientCertificate
    }

    /// How a request whose handler returned without answering waits for its answer.
    enum Admission {
        /// Its connection is suspended, freeing the thread.
        case suspend
        /// The thread waits (a thread per connection, or a server stopping).
        case block
        /// The server has stopped waiting for answers: it is answered 503 at once.
        case refuse
    }

    /// How the responder's request waits for its answer; one that waits is counted until `answered`.
    func admit(_ responder: HTTPResponder) -> Admission {
        lock.lock()
        defer { lock.unlock() }
        switch phase {
        case .serving, .draining:
            waiting[ObjectIdentifier(responder)] = responder
            return phase == .serving && suspendsConnections ? .suspend : .block
        case .stopped:
            return .refuse
        }
    }

    /// The responder has answered; its connection is being resumed or its thread woken.
    func answered(_ responder: HTTPResponder) {
        lock.lock()
        defer { lock.unlock() }
        waiting[ObjectIdentifier(responder)] = nil
    }

    /// Suspends no more connections, waits up to `grace` seconds for the waiting requests to be answered,
    /// then answers the rest (and any later one) with 503, so that no connection is left suspended and no
    /// thread blocked when libmicrohttpd stops.
    func drainWaiting(grace: Double) {
        lock.lock()
        phase = .draining
        lock.unlock()
        let deadline = Date().addingTimeInterval(grace)
        while true {
            lock.lock()
            let remaining = Array(waiting.values)
            let finished = remaining.isEmpty || Date() >= deadline
            if finished { phase = .stopped }
            lock.unlock()
            if finished {
                for responder in remaining { responder.send(Self.stoppedResponse) }
                // Gives those answers a moment to be sent before the connections are closed.
                let sent = Date().addingTimeInterval(2)
                while remaining.contains(where: { !$0.isFinished }) && Date() < sent { usleep(1000) }
                return
            }
            usleep(1000)
        }
    }

    static var stoppedResponse: HTTPResponse {
        .error(503, code: "server_stopping", message: "the server stopped before this request was answered")
    }
}
