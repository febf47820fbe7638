import Foundation
import HTTPServer
import PrimesLogging
import Synchronization

/// An endpoint's answer: ready now, or given later (an ingest answers once its commit is on disk, from the
/// thread that ran the commit).
enum Reply: Sendable {
    case ready(HTTPResponse)
    /// Starts the work; the work calls the function it is given exactly once, with the response.
    case later(@Sendable (_ respond: @escaping @Sendable (HTTPResponse) -> Void) -> Void)

    /// Gives the response to `respond`, now or when the work has it.
    func give(to respond: @escaping @Sendable (HTTPResponse) -> Void) {
        switch self {
        case .ready(let response): respond(response)
        case .later(let start): start(respond)
        }
    }

    /// The same reply, with `observe` seeing the response just before it is given.
    func observed(by observe: @escaping @Sendable (HTTPResponse) -> Void) -> Reply {
        switch self {
        case .ready(let response):
            observe(response)
            return .ready(response)
        case .later(let start):
            return .later { respond in
                start { response in
                    observe(response)
                    respond(response)
                }
            }
        }
    }
}

/// What an endpoint adds to its request's `http.request` log line once it has answered: an ingest's record
/// counts. One line per request carries them, rather than a line of their own, because each line is a system
/// call and a tenth of an ingest's work.
final class RequestNotes: Sendable {
    private let counts = Mutex<(accepted: Int, rejected: Int)?>(nil)

    /// The records an ingest stored and refused; set before the response is given.
    var recordCounts: (accepted: Int, rejected: Int)? {
        get { counts.withLock { $0 } }
        set { counts.withLock { $0 = newValue } }
    }

    /// `log` with the notes as metadata (`records.accepted`, `records.rejected`), or as it is without any.
    func annotating(_ log: Logger) -> Logger {
        guard let counts = recordCounts else { return log }
        return log.with(["records.accepted": .count(counts.accepted), "records.rejected": .count(counts.rejected)])
    }
}

/// A response given on another thread, for a caller that waits for it.
final class AnsweredResponse: @unchecked Sendable {
    private let lock = NSLock()
    private let given = DispatchSemaphore(value: 0)
    private var response: HTTPResponse?

    func set(_ response: HTTPResponse) {
        lock.lock()
        self.response = response
        lock.unlock()
        given.signal()
    }

    func wait() -> HTTPResponse {
        given.wait()
        lock.lock()
        defer { lock.unlock() }
        // `set` stores the response before it signals, so it is there; the type cannot say so.
        return response ?? .error(503, code: "no_response", message: "the handler gave no response; retry")
    }
}
