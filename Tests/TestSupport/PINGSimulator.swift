import Foundation
import HTTPServer
import PrimesModel

/// A PING deployment on loopback TLS for tests: bearer-token check, optional client-certificate check,
/// paged retrieval, ingestion that keeps what it receives, and faults on demand.
public final class PINGSimulator: @unchecked Sendable {
    /// What the simulator is told to do; change it between requests with `configure`.
    public struct Behaviour: Sendable {
        /// The rows of each retrieval page, in order.
        public var pages: [[JSONValue]] = []
        /// The 1-based page answered with truncated JSON.
        public var malformedPage: Int?
        /// A status every ingestion call gets instead of 200, with a `Retry-After` when set.
        public var ingestionStatus: Int?
        public var retryAfterSeconds: Int?
        /// When true, the paging cookie of every page is the same (a broken server).
        public var repeatCookie = false
        /// How long each retrieval page takes to answer, so that a test can act while a pull is under way.
        public var pageDelaySeconds: Double = 0

        public init() {}
    }

    public static let partnerId = "PARTNER-TEST"
    public static let token = "simulator-token"

    public let server: HTTPServer
    public var baseURL: String { "https://127.0.0.1:\(server.port)" }
    private let lock = NSLock()
    private var behaviour = Behaviour()
    private var received: [JSONValue] = []
    private var retrievalBodies: [JSONValue] = []
    private var refusedCount = 0

    /// Starts the simulator; with `requireClientCertificate` the TLS handshake demands a certificate signed by
    /// the test CA, and requests must carry one.
    public init(requireClientCertificate: Bool = false) throws {
        let certificates = try TestCertificates.shared()
        let tls = TLSServerConfiguration(
            certificatePath: certificates.serverCertificate,
            privateKeyPath: certificates.serverKey,
            clientCAPath: requireClientCertificate ? certificates.caCertificate : nil,
            requireClientCertificate: requireClientCertificate
        )
        let state = Box()
        server = try HTTPServer(configuration: HTTPServerConfiguration(tls: tls, threadCount: 2)) { request in
            state.simulator?.answer(request, requireClientCertificate: requireClientCertificate)
                ?? .text(503, "starting")
        }
        state.simulator = self
    }

    deinit {
        server.stop()
    }

    public func configure(_ change: (inout Behaviour) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        change(&behaviour)
    }

    /// The `Data` items of every ingestion call accepted so far, in order.
    public var ingestedItems: [JSONValue] {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    /// The bodies of the retrieval calls, in order.
    public var retrievalRequests: [JSONValue] {
        lock.lock()
        defer { lock.unlock() }
        return retrievalBodies
    }

    /// How many requests were refused for their credentials.
    public var refusedRequests: Int {
        lock.lock()
        defer { lock.unlock() }
        return refusedCount
    }

    // MARK: - Answers

    private func answer(_ request: HTTPRequest, requireClientCertificate: Bool) -> HTTPResponse {
        lock.lock()
        defer { lock.unlock() }
        guard request.header("authorization") == "Bearer \(Self.token)",
            !requireClientCertificate || request.clientCertificate != nil
        else {
            refusedCount += 1
            return .text(401, "unauthorized")
        }
        guard request.method == "POST", let body = try? JSONDecoder().decode(JSONValue.self, from: Data(request.body))
        else { return .text(400, "a JSON POST is expected") }
        switch request.path {
        case "/primes/fetch/paging/v3/retrievedatawithpaging":
            retrievalBodies.append(body)
            return page(for: body)
        case "/api/ingestion/v2/\(Self.partnerId)/data":
            return ingest(body)
        default:
            return .text(404, "no such PING call")
        }
    }

    private func page(for body: JSONValue) -> HTTPResponse {
        guard case .object(let fields) = body, let pageNumber = fields["PageNumber"]?.scalarText.flatMap(Int.init),
            (1...max(1, behaviour.pages.count)).contains(pageNumber)
        else { return .text(400, "PageNumber out of range") }
        if behaviour.malformedPage == pageNumber {
            return HTTPResponse(
                status: 200, headers: [("Content-Type", "application/json")],
                body: Array("{\"Data\": [{\"progres_individual.indiv.progres_id\": ".utf8))
        }
        if behaviour.pageDelaySeconds > 0 { Thread.sleep(forTimeInterval: behaviour.pageDelaySeconds) }
        let rows = behaviour.pages.isEmpty ? [] : behaviour.pages[pageNumber - 1]
        let more = pageNumber < behaviour.pages.count
        let envelope: JSONValue = .object([
            "Data": .array(rows),
            "ErrorMessage": .null,
            "RecordCount": .number(Double(rows.count)),
            "SPHTransactionId": .string("sim-transaction-\(pageNumber)"),
            "PagingSummary": .object([
                "PagingCookie": .string(behaviour.repeatCookie ? "cookie" : "cookie-\(pageNumber)"),
                "PageNumber": .number(Double(pageNumber)),
                "IsMoreRecordsAvailable": .bool(more),
            ]),
        ])
        return .json(200, envelope)
    }

    private func ingest(_ body: JSONValue) -> HTTPResponse {
        if let status = behaviour.ingestionStatus {
            var response = HTTPResponse.json(status, JSONValue.object(["ErrorMessage": "simulated failure"]))
            if let wait = behaviour.retryAfterSeconds { response.headers.append(("Retry-After", String(wait))) }
            return response
        }
        guard case .object(let fields) = body, case .array(let items)? = fields["Data"],
            fields["ShippingProcessId"] != nil, fields["InteropId"] != nil
        else { return .json(400, JSONValue.object(["ErrorMessage": "ShippingProcessId, InteropId and Data expected"])) }
        received.append(contentsOf: items)
        return .json(200, JSONValue.object(["Status": "Accepted", "Count": .number(Double(items.count))]))
    }
}

/// Lets the server's handler reach the simulator, which exists only once the server has started.
private final class Box: @unchecked Sendable {
    weak var simulator: PINGSimulator?
}
