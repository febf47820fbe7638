import Adapters
import CommandLineSupport
import Foundation
import Gateway
import PrimesLogging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `primes-gateway serve`: the daemon (HTTPS API and delivery workers) until SIGINT or SIGTERM.
enum ServeCommand {
    static let spec = CommandSpec(
        name: "serve",
        summary: "run the gateway daemon: the HTTPS API and the delivery workers",
        options: [.init("config", value: "FILE", required: true, help: "the gateway's configuration file")]
    )

    static let verb = Verb(spec: spec) { arguments in
        let configuration = try GatewayConfiguration.load(path: arguments["config"] ?? "")
        let environment = try AdapterEnvironment.load()
        let logger = Logger(label: "gateway", style: .json)
        let runtime = try GatewayRuntime(configuration: configuration, environment: environment, logger: logger)
        let openAPI = environment.mappings.root.deletingLastPathComponent().appendingPathComponent("docs/openapi.json")
        let server = try GatewayServer(runtime: runtime, openAPIPath: openAPI.path)

        // Wait for a stop signal on a dispatch source rather than in a C signal handler, which may do little.
        let stopped = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stopped.signal() }
            source.resume()
            sources.append(source)
        }
        stopped.wait()
        server.stop()
        sources.forEach { $0.cancel() }
        return ExitCode.success
    }
}
