import Foundation
import HTTPServer

// The benchmarks' baseline: a bare libmicrohttpd server from the same build as the gateway, answering every
// request with a fixed 200. `primes-gateway-hello PORT [CERTIFICATE KEY]` serves until SIGINT or SIGTERM.
let arguments = Array(CommandLine.arguments.dropFirst())
guard let portText = arguments.first, let port = UInt16(portText) else {
    FileHandle.standardError.write(Data("usage: primes-gateway-hello PORT [CERTIFICATE KEY]\n".utf8))
    exit(2)
}
var configuration = HTTPServerConfiguration()
configuration.port = port
if arguments.count >= 3 {
    configuration.tls = TLSServerConfiguration(certificatePath: arguments[1], privateKeyPath: arguments[2])
}
let greeting = HTTPResponse.json(200, ["hello": "world"])
do {
    let server = try HTTPServer(configuration: configuration) { _ in greeting }
    FileHandle.standardError.write(Data("listening on \(server.port)\n".utf8))
    StopSignal.wait()
    server.stop()
} catch {
    FileHandle.standardError.write(Data("primes-gateway-hello: \(error)\n".utf8))
    exit(1)
}
