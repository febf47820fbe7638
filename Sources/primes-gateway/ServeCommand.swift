import Adapters
import CommandLineSupport
import Foundation
import Gateway
import HTTPServer
import PrimesLogging

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
        let server = try GatewayServer(runtime: runtime, openAPIPath: openAPI.path, readers: PullCommand.readers)

        StopSignal.wait()
        server.stop()
        return ExitCode.success
    }
}
