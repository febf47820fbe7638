import Foundation
import HTTPClient
import HTTPServer
import TestSupport
import Testing

@Suite("HTTP transport over loopback TLS")
struct HTTPTransportTests {
    @Test("GET carries the path, decoded query in order and headers both ways")
    func getRoundTrip() throws {
        let server = try startTLSServer(handler: echoHandler())
        defer { server.stop() }
        #expect(server.port != 0)

        let response = try testClient().send(
            HTTPClientRequest(
                method: "GET",
                url: "https://127.0.0.1:\(server.port)/v1/records/canonical?since=2026-01-01&q=two%20words&since=x",
                headers: [(name: "X-Request-Id", value: "abc-123"), (name: "Accept", value: "application/json")]
            ))

        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/json")
        #expect(response.header("X-SERVED-BY") == "transport-tests")
        let echo = try decodeEcho(response)
        #expect(echo.method == "GET")
        #expect(echo.path == "/v1/records/canonical")
        #expect(echo.query == [["since", "2026-01-01"], ["q", "two words"], ["since", "x"]])
        #expect(echo.headers["x-request-id"] == "abc-123")
        #expect(echo.headers["accept"] == "application/json")
        #expect(echo.remoteAddress == "127.0.0.1")
        #expect(echo.clientFingerprint == nil)
    }

    @Test("POST delivers the body intact, and HTTPRequest helpers find headers and query values")
    func postRoundTrip() throws {
        let server = try startTLSServer { request in
            guard request.method == "POST", request.header("CONTENT-TYPE") == "application/x-ndjson" else {
                return .text(400, "unexpected request")
            }
            let batch = request.query("batch") ?? "none"
            return HTTPResponse(
                status: 201, headers: [(name: "X-Batch", value: batch)], body: Array(request.body.reversed()))
        }
        defer { server.stop() }
        let body = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }

        let response = try testClient().send(
            HTTPClientRequest(
                method: "POST", url: "https://localhost:\(server.port)/v1/batches?batch=b-7",
                headers: [(name: "Content-Type", value: "application/x-ndjson")], body: body))

        #expect(response.status == 201)
        #expect(response.header("x-batch") == "b-7")
        #expect(response.body == Array(body.reversed()))
    }

    @Test("a body over the limit gets 413 payload_too_large and the handler is not called")
    func oversizedBody() throws {
        let calls = CallCounter()
        let server = try startTLSServer(maximumBodyBytes: 1024, handler: echoHandler(counter: calls))
        defer { server.stop() }
        let client = try testClient()
        let url = "https://127.0.0.1:\(server.port)/v1/records"

        let tooLarge = try client.send(
            HTTPClientRequest(method: "POST", url: url, body: Array(repeating: 65, count: 4096)))
        #expect(tooLarge.status == 413)
        #expect(tooLarge.header("content-type") == "application/json")
        #expect(tooLarge.text.contains(#""code":"payload_too_large""#))
        #expect(calls.value == 0)

        // Without Content-Length the limit is found while reading; the answer is the same.
        let chunked = try client.send(
            HTTPClientRequest(
                method: "POST", url: url, headers: [(name: "Transfer-Encoding", value: "chunked")],
                body: Array(repeating: 66, count: 4096)))
        #expect(chunked.status == 413)
        #expect(calls.value == 0)

        let fits = try client.send(HTTPClientRequest(method: "POST", url: url, body: Array(repeating: 67, count: 1024)))
        #expect(fits.status == 200)
        #expect(calls.value == 1)
    }

    @Test("a client trusting the server's CA connects; one trusting an unrelated CA fails with tlsFailed")
    func certificateTrust() throws {
        let certificates = try TestCertificates.shared()
        let server = try startTLSServer(handler: echoHandler())
        defer { server.stop() }
        let url = "https://127.0.0.1:\(server.port)/health"

        #expect(try testClient().send(HTTPClientRequest(url: url)).status == 200)

        let untrusting = HTTPClient(
            configuration: HTTPClientConfiguration(caCertificatePath: certificates.otherCACertificate))
        let error = #expect(throws: HTTPClientError.self) { try untrusting.send(HTTPClientRequest(url: url)) }
        guard case .tlsFailed(let failedURL, _) = error else {
            Issue.record("expected tlsFailed, got \(String(describing: error))")
            return
        }
        #expect(failedURL == url)
    }

    @Test("a server requiring client certificates refuses a client without one and names one that has it")
    func mutualTLS() throws {
        let certificates = try TestCertificates.shared()
        let calls = CallCounter()
        let server = try startTLSServer(
            clientCA: certificates.caCertificate, requireClientCertificate: true, handler: echoHandler(counter: calls))
        defer { server.stop() }
        let url = "https://127.0.0.1:\(server.port)/v1/records"

        let refused = try testClient().send(HTTPClientRequest(url: url))
        #expect(refused.status == 403)
        #expect(refused.text.contains(#""code":"client_certificate_required""#))
        #expect(calls.value == 0)

        let accepted = try testClient(withClientCertificate: true).send(HTTPClientRequest(url: url))
        #expect(accepted.status == 200)
        let echo = try decodeEcho(accepted)
        #expect(echo.clientFingerprint == (try opensslFingerprint(of: certificates.clientCertificate)))
        #expect(echo.clientSubject?.contains("CN=test-partner") == true)
        #expect(calls.value == 1)
    }

    @Test("a client certificate from an unrelated CA is not taken as verified")
    func clientCertificateFromOtherCA() throws {
        let certificates = try TestCertificates.shared()
        // The server trusts only the unrelated CA, so the test client certificate cannot verify.
        let server = try startTLSServer(
            clientCA: certificates.otherCACertificate, requireClientCertificate: true, handler: echoHandler())
        defer { server.stop() }

        let response = try testClient(withClientCertificate: true).send(
            HTTPClientRequest(url: "https://127.0.0.1:\(server.port)/"))
        #expect(response.status == 403)
    }

    @Test("Basic and Bearer credentials reach the handler")
    func authorizationHeaders() throws {
        let server = try startTLSServer(handler: echoHandler())
        defer { server.stop() }
        let client = try testClient()
        let url = "https://127.0.0.1:\(server.port)/v1/records"

        let basic = try decodeEcho(
            client.send(HTTPClientRequest(url: url, authorization: .basic(user: "partner-7", password: "pä:ss"))))
        let encoded = try #require(basic.headers["authorization"]?.split(separator: " ").last)
        let decoded = try #require(Data(base64Encoded: String(encoded)))
        #expect(basic.headers["authorization"]?.hasPrefix("Basic ") == true)
        #expect(String(decoding: decoded, as: UTF8.self) == "partner-7:pä:ss")

        let bearer = try decodeEcho(client.send(HTTPClientRequest(url: url, authorization: .bearer("tok.en-123"))))
        #expect(bearer.headers["authorization"] == "Bearer tok.en-123")
    }

    @Test("a handler slower than the client's timeout gives timedOut")
    func clientTimeout() throws {
        let server = try startTLSServer { _ in
            Thread.sleep(forTimeInterval: 2)
            return .text(200, "late")
        }
        defer { server.stop() }
        let client = try testClient(timeoutSeconds: 0.5)
        let url = "https://127.0.0.1:\(server.port)/slow"

        let started = Date()
        #expect(throws: HTTPClientError.timedOut(url: url)) { try client.send(HTTPClientRequest(url: url)) }
        #expect(Date().timeIntervalSince(started) < 1.8)
    }

    @Test(
        "a server bound to ::1 answers over IPv6",
        .enabled(if: ipv6LoopbackAvailable(), "this machine has no IPv6 loopback (::1); IPv6 bind not tested")
    )
    func ipv6Loopback() throws {
        let server = try startTLSServer(host: "::1", handler: echoHandler())
        defer { server.stop() }

        let response = try testClient().send(HTTPClientRequest(url: "https://[::1]:\(server.port)/v6"))
        #expect(response.status == 200)
        #expect(try decodeEcho(response).remoteAddress == "::1")
    }

    @Test("requests from eight threads sharing one client all get their own answers")
    func concurrentRequests() throws {
        let calls = CallCounter()
        let server = try startTLSServer(handler: echoHandler(counter: calls))
        defer { server.stop() }
        let client = try testClient()
        let failures = CallCounter()
        let threads = 8
        let requestsPerThread = 20

        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in 0..<requestsPerThread {
                let tag = "\(thread)-\(index)"
                let request = HTTPClientRequest(
                    method: "POST", url: "https://127.0.0.1:\(server.port)/c?tag=\(tag)", body: Array(tag.utf8))
                guard let response = try? client.send(request), let echo = try? decodeEcho(response),
                    echo.body == tag, echo.query == [["tag", tag]]
                else {
                    failures.increment()
                    continue
                }
            }
        }

        #expect(failures.value == 0)
        #expect(calls.value == threads * requestsPerThread)
    }

    @Test("one client reuses its TLS connection for consecutive requests")
    func keepAlive() throws {
        let server = try startTLSServer(handler: echoHandler())
        defer { server.stop() }
        let client = try testClient()
        let url = "https://127.0.0.1:\(server.port)/ping"

        let ports = try (0..<5).map { _ in try decodeEcho(client.send(HTTPClientRequest(url: url))).remotePort }

        #expect(ports.allSatisfy { $0 != 0 })
        #expect(Set(ports).count == 1)
    }

    @Test("bad configurations are refused with a clear error")
    func badConfiguration() throws {
        #expect(throws: HTTPServerError.invalidHost("localhost")) {
            try HTTPServer(configuration: HTTPServerConfiguration(host: "localhost")) { _ in .text(200, "") }
        }
        let missing = TLSServerConfiguration(
            certificatePath: "/nonexistent/cert.pem", privateKeyPath: "/nonexistent/key.pem")
        #expect(throws: HTTPServerError.self) {
            try HTTPServer(configuration: HTTPServerConfiguration(tls: missing)) { _ in .text(200, "") }
        }
        let certificates = try TestCertificates.shared()
        let mismatched = TLSServerConfiguration(
            certificatePath: certificates.serverCertificate, privateKeyPath: certificates.clientKey)
        #expect(throws: HTTPServerError.startFailed(host: "127.0.0.1", port: 0)) {
            try HTTPServer(configuration: HTTPServerConfiguration(tls: mismatched)) { _ in .text(200, "") }
        }
        #expect(throws: HTTPClientError.invalidURL("ftp://127.0.0.1/file")) {
            try HTTPClient().send(HTTPClientRequest(url: "ftp://127.0.0.1/file"))
        }
    }

    @Test("stop is idempotent and the port is closed afterwards")
    func stopClosesThePort() throws {
        let server = try startTLSServer(handler: echoHandler())
        let url = "https://127.0.0.1:\(server.port)/"
        #expect(try testClient().send(HTTPClientRequest(url: url)).status == 200)

        server.stop()
        server.stop()

        let error = #expect(throws: HTTPClientError.self) { try testClient().send(HTTPClientRequest(url: url)) }
        guard case .connectionFailed = error else {
            Issue.record("expected connectionFailed, got \(String(describing: error))")
            return
        }
    }
}
