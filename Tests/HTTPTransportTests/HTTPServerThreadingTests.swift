import Foundation
import HTTPClient
import HTTPServer
import TestSupport
import Testing

/// A handler that blocks holds up other connections only when they share its thread.
@Suite("HTTP server threads")
struct HTTPServerThreadingTests {
    /// `/slow` waits up to `patience` seconds for `/fast` to be answered, and says whether it was.
    static func start(threadPerConnection: Bool, patience: Double) throws -> HTTPServer {
        let configuration = try singleThreadConfiguration(threadPerConnection: threadPerConnection)
        let fastAnswered = DispatchSemaphore(value: 0)
        return try HTTPServer(configuration: configuration) { request in
            if request.path == "/fast" {
                fastAnswered.signal()
                return .text(200, "fast")
            }
            let released = fastAnswered.wait(timeout: .now() + patience) == .success
            return .text(200, released ? "released" : "timed out")
        }
    }

    /// Sends `/slow` on one connection and, while it waits, `/fast` on another; returns `/slow`'s answer.
    static func slowAnswer(port: UInt16) throws -> String {
        let url = "https://127.0.0.1:\(port)"
        let slow = Answer()
        let finished = DispatchSemaphore(value: 0)
        Thread {
            let response = try? testClient().send(HTTPClientRequest(method: "GET", url: url + "/slow"))
            slow.text = response.map { String(decoding: $0.body, as: UTF8.self) } ?? "no answer"
            finished.signal()
        }.start()
        usleep(200_000)
        _ = try testClient().send(HTTPClientRequest(method: "GET", url: url + "/fast"))
        finished.wait()
        return slow.text
    }

    @Test("with a thread per connection, a blocked handler does not hold up another connection")
    func threadPerConnection() throws {
        let server = try Self.start(threadPerConnection: true, patience: 10)
        defer { server.stop() }
        #expect(try Self.slowAnswer(port: server.port) == "released")
    }

    @Test("with one shared thread, the other connection waits for the blocked handler")
    func sharedThread() throws {
        let server = try Self.start(threadPerConnection: false, patience: 1)
        defer { server.stop() }
        #expect(try Self.slowAnswer(port: server.port) == "timed out")
    }
}

/// The answer a background thread received.
private final class Answer: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = ""

    var text: String {
        get {
            lock.lock()
            defer { lock.unlock() }
            return stored
        }
        set {
            lock.lock()
            defer { lock.unlock() }
            stored = newValue
        }
    }
}
