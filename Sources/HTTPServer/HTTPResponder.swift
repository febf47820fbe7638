import CMicroHTTPD
import Foundation

/// Where a handler sends the one response to its request: during the handler's call, or later from any thread.
///
/// A handler that answers later frees the server's thread at once: on a shared (epoll) thread the connection
/// is suspended, so that the thread serves other connections until `send` resumes it. With a thread per
/// connection that thread simply waits for `send`. Only the first `send` counts.
public final class HTTPResponder: @unchecked Sendable {
    private let connection: OpaquePointer
    private let exchange: RequestState
    private let server: ServerContext

    init(connection: OpaquePointer, exchange: RequestState, server: ServerContext) {
        self.connection = connection
        self.exchange = exchange
        self.server = server
    }

    /// Answers the request with `response`; later calls are ignored.
    public func send(_ response: HTTPResponse) {
        exchange.lock.lock()
        defer { exchange.lock.unlock() }
        guard exchange.response == nil else { return }
        exchange.response = response
        switch exchange.waiting {
        case .handler:
            break
        case .suspended:
            // The lock is held, so the access handler cannot read the response before it is there, and the
            // connection was suspended before any `send` could see `.suspended`.
            server.answered(self)
            MHD_resume_connection(connection)
        case .thread(let wake):
            server.answered(self)
            wake.signal()
        }
    }

    /// True once libmicrohttpd has finished the request (its response sent, or the connection lost).
    var isFinished: Bool {
        exchange.lock.lock()
        defer { exchange.lock.unlock() }
        return exchange.finished
    }

    /// After the handler returned without answering: suspends the connection when the server may (a shared
    /// thread, not stopping), else blocks this thread until `send`. Returns the response when it is known now.
    func awaitResponse() -> HTTPResponse? {
        exchange.lock.lock()
        if let response = exchange.response {
            exchange.lock.unlock()
            return response
        }
        switch server.admit(self) {
        case .suspend:
            MHD_suspend_connection(connection)
            exchange.waiting = .suspended
            exchange.lock.unlock()
            return nil
        case .block:
            let wake = DispatchSemaphore(value: 0)
            exchange.waiting = .thread(wake)
            exchange.lock.unlock()
            wake.wait()
            return exchange.answered
        case .refuse:
            let response = ServerContext.stoppedResponse
            exchange.response = response
            exchange.lock.unlock()
            return response
        }
    }
}
