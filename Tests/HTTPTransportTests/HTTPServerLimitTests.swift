import Foundation
import HTTPClient
import HTTPServer
import Testing

@Suite("HTTP server limits")
struct HTTPServerLimitTests {
    @Test("a client that stops sending mid-request is cut off after the connection timeout")
    func slowClientIsCutOff() throws {
        let calls = CallCounter()
        let server = try HTTPServer(
            configuration: HTTPServerConfiguration(connectionTimeoutSeconds: 1), handler: echoHandler(counter: calls))
        defer { server.stop() }
        let connection = try RawConnection(port: server.port)

        let started = Date()
        connection.send("GET /never-finished HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        let outcome = connection.readUntilClosed()

        #expect(outcome.closed)
        #expect(Date().timeIntervalSince(started) < 4.5)
        #expect(calls.value == 0)
    }

    @Test("a connection beyond the limit waits until an admitted one ends; plain HTTP is served")
    func connectionLimit() throws {
        let server = try HTTPServer(
            configuration: HTTPServerConfiguration(threadCount: 1, connectionLimit: 1), handler: echoHandler())
        defer { server.stop() }
        let admitted = try RawConnection(port: server.port)
        // Give the server's thread a moment to take the first connection in before the second arrives.
        Thread.sleep(forTimeInterval: 0.2)

        let waiting = try RawConnection(port: server.port, readTimeoutSeconds: 1)
        waiting.send("GET /waiting HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        let heldBack = waiting.readUntilClosed()
        #expect(heldBack.text.isEmpty)
        #expect(!heldBack.closed)

        admitted.send("GET /admitted?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        let answer = admitted.readUntilClosed()
        #expect(answer.text.hasPrefix("HTTP/1.1 200"))
        #expect(answer.text.contains(#""path":"/admitted""#))

        waiting.setReadTimeout(seconds: 5)
        let served = waiting.readUntilClosed()
        #expect(served.text.hasPrefix("HTTP/1.1 200"))
        #expect(served.text.contains(#""path":"/waiting""#))
    }

    @Test("a handler's status outside 200...599 becomes 500, and its Content-Length header is not trusted")
    func handlerMistakesAreContained() throws {
        let server = try HTTPServer(configuration: HTTPServerConfiguration()) { request in
            if request.path == "/odd-status" { return .text(42, "odd") }
            return HTTPResponse(status: 200, headers: [(name: "Content-Length", value: "999")], body: Array("ok".utf8))
        }
        defer { server.stop() }
        let client = HTTPClient()

        let odd = try client.send(HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/odd-status"))
        #expect(odd.status == 500)
        let lying = try client.send(HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/"))
        #expect(lying.status == 200)
        #expect(lying.text == "ok")
        #expect(lying.header("content-length") == "2")
    }

    @Test("errors never show the password of a URL with credentials")
    func errorsHideCredentials() throws {
        // Find a port nobody listens on: start a server, note its port, stop it.
        let server = try HTTPServer(configuration: HTTPServerConfiguration()) { _ in .text(200, "") }
        let port = server.port
        server.stop()

        let error = #expect(throws: HTTPClientError.self) {
            try HTTPClient().send(HTTPClientRequest(url: "http://partner:s3cret-pass@127.0.0.1:\(port)/x"))
        }
        let shown = String(describing: error)
        #expect(shown.contains("127.0.0.1:\(port)/x"))
        #expect(!shown.contains("s3cret-pass"))
        #expect(!shown.contains("partner:"))
    }

    @Test("a header with a line break is refused before anything is sent")
    func headerInjectionIsRefused() throws {
        let calls = CallCounter()
        let server = try HTTPServer(configuration: HTTPServerConfiguration(), handler: echoHandler(counter: calls))
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/"

        #expect(throws: HTTPClientError.other(url: url, reason: "header X-Note contains a line break")) {
            try HTTPClient().send(
                HTTPClientRequest(url: url, headers: [(name: "X-Note", value: "a\r\nX-Injected: yes")]))
        }
        #expect(throws: HTTPClientError.self) {
            try HTTPClient().send(HTTPClientRequest(url: url, authorization: .bearer("token\nX-Injected: yes")))
        }
        #expect(calls.value == 0)
    }
}
