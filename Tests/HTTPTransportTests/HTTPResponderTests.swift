import Foundation
import HTTPClient
import HTTPServer
import TestSupport
import Testing

/// Handlers that answer later, from another thread: the server's thread is free meanwhile, the connection
/// stays usable, and a server that stops answers what is still waiting.
@Suite("HTTP server answers given later")
struct HTTPResponderTests {
    /// `/later` is answered from a background thread once `/fast` has been answered (or after `patience`).
    static func start(threadPerConnection: Bool, patience: Double = 10) throws -> HTTPServer {
        let configuration = try singleThreadConfiguration(threadPerConnection: threadPerConnection)
        let fastAnswered = DispatchSemaphore(value: 0)
        return try HTTPServer(configuration: configuration) { request, responder in
            switch request.path {
            case "/fast":
                responder.send(.text(200, "fast"))
                fastAnswered.signal()
            case "/later":
                Thread {
                    let released = fastAnswered.wait(timeout: .now() + patience) == .success
                    responder.send(.text(200, released ? "released" : "timed out"))
                    responder.send(.text(500, "a second answer is ignored"))
                }.start()
            default:
                // Never answered by the handler: only a stopping server answers it.
                break
            }
        }
    }

    static func get(_ port: UInt16, _ path: String, client: HTTPClient? = nil) throws -> HTTPClientResponse {
        try (client ?? testClient()).send(HTTPClientRequest(method: "GET", url: "https://127.0.0.1:\(port)\(path)"))
    }

    @Test("on one shared thread, a request answered later leaves the thread free for another connection")
    func sharedThreadStaysFree() throws {
        let server = try Self.start(threadPerConnection: false)
        defer { server.stop() }
        let later = BackgroundAnswer()
        later.fetch { try Self.get(server.port, "/later") }
        usleep(200_000)

        #expect(String(decoding: try Self.get(server.port, "/fast").body, as: UTF8.self) == "fast")
        let answer = try #require(later.wait())
        #expect(answer.status == 200)
        #expect(String(decoding: answer.body, as: UTF8.self) == "released")
    }

    @Test("a connection answered later carries further requests", arguments: [false, true])
    func connectionIsReused(threadPerConnection: Bool) throws {
        let server = try Self.start(threadPerConnection: threadPerConnection, patience: 0.05)
        defer { server.stop() }
        let client = try testClient()
        for _ in 0..<3 {
            // Released by the previous round's `/fast`, or not waiting long for the first.
            let answer = try Self.get(server.port, "/later", client: client)
            #expect(["released", "timed out"].contains(String(decoding: answer.body, as: UTF8.self)))
            #expect(try Self.get(server.port, "/fast", client: client).status == 200)
        }
    }

    @Test("a server that stops answers a request still waiting with 503, and stops", arguments: [false, true])
    func stoppingAnswersWhatWaits(threadPerConnection: Bool) throws {
        let server = try Self.start(threadPerConnection: threadPerConnection)
        let waiting = BackgroundAnswer()
        waiting.fetch { try Self.get(server.port, "/never") }
        usleep(300_000)

        let started = Date()
        server.stop(grace: 0.2)
        #expect(Date().timeIntervalSince(started) < 5)
        let answer = try #require(waiting.wait())
        #expect(answer.status == 503)
        #expect(String(decoding: answer.body, as: UTF8.self).contains("server_stopping"))
    }
}

/// A response fetched on a background thread.
private final class BackgroundAnswer: @unchecked Sendable {
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var response: HTTPClientResponse?

    func fetch(_ send: @escaping @Sendable () throws -> HTTPClientResponse) {
        Thread {
            let response = try? send()
            self.lock.lock()
            self.response = response
            self.lock.unlock()
            self.done.signal()
        }.start()
    }

    func wait() -> HTTPClientResponse? {
        guard done.wait(timeout: .now() + 20) == .success else { return nil }
        lock.lock()
        defer { lock.unlock() }
        return response
    }
}
