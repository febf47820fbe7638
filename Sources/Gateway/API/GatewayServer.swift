import Foundation
import HTTPServer

/// The running daemon: one HTTP server per configured listener, the delivery workers and the sources' polls.
public final class GatewayServer: Sendable {
    public let runtime: GatewayRuntime
    public let api: GatewayAPI
    private let servers: [HTTPServer]
    private let scheduler: SyncScheduler
    private let sweeper: RetentionSweeper

    /// Starts listening on every listener, the delivery workers and the polls of the sources.
    ///
    /// - Parameter readers: how `ping` and `primero` sources are read; without them only `directory`
    ///   sources are polled.
    public init(runtime: GatewayRuntime, openAPIPath: String?, readers: PullReaders = PullReaders()) throws {
        self.runtime = runtime
        let api = GatewayAPI(runtime: runtime, openAPIPath: openAPIPath)
        self.api = api
        var servers: [HTTPServer] = []
        for listener in runtime.configuration.listeners {
            var configuration = HTTPServerConfiguration()
            configuration.host = listener.host
            configuration.port = listener.port
            configuration.maximumBodyBytes = listener.maximumBodyBytes
            configuration.threadCount = listener.threads
            configuration.threadPerConnection = listener.threadPerConnection
            configuration.tls = listener.tls.map {
                TLSServerConfiguration(
                    certificatePath: $0.certificate, privateKeyPath: $0.key, clientCAPath: $0.clientCA,
                    requireClientCertificate: $0.requireClientCertificate)
            }
            let server = try HTTPServer(configuration: configuration) { request, responder in
                api.handle(request) { response in responder.send(response) }
            }
            runtime.logger.notice(
                "server.listening",
                [
                    "host": .safe(listener.host), "port": .safe(String(server.port)),
                    "tls": .safe(listener.tls == nil ? "off" : "on"),
                ])
            servers.append(server)
        }
        self.servers = servers
        runtime.delivery.start()
        scheduler = SyncScheduler(runtime: runtime, readers: readers)
        scheduler.start()
        sweeper = RetentionSweeper(
            store: runtime.store, settings: runtime.configuration.retention, logger: runtime.logger)
        sweeper.start()
    }

    /// The bound ports, in listener order (useful when a listener asked for port 0).
    public var ports: [UInt16] {
        servers.map(\.port)
    }

    /// Stops accepting requests, lets requests in progress finish, then stops the workers.
    public func stop() {
        servers.forEach { $0.stop() }
        scheduler.stop()
        sweeper.stop()
        runtime.delivery.stop()
        runtime.logger.notice("server.stopped")
    }
}
