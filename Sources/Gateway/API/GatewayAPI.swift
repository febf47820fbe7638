import Adapters
import Foundation
import HTTPServer
import PrimesLogging

/// The HTTP API of `serve`: one handler for every request, turning each into a response and a log line.
///
/// No request ends in a 500 because of what it sent: unreadable bodies are 400, unknown formats 404, wrong
/// media types 415, refused records 422. A store that cannot commit answers 503, so the client retries.
public final class GatewayAPI: Sendable {
    let runtime: GatewayRuntime
    let authenticator: ClientAuthenticator
    let limiter = RateLimiter()
    let openAPIDocument: [UInt8]?

    /// - Parameter openAPIPath: the OpenAPI document served at `/openapi.json`, read once now.
    public init(runtime: GatewayRuntime, openAPIPath: String?) {
        self.runtime = runtime
        authenticator = ClientAuthenticator(clients: runtime.configuration.clients)
        openAPIDocument = openAPIPath.flatMap { FileManager.default.contents(atPath: $0) }.map { Array($0) }
    }

    /// Handles one request and gives its response to `respond`: at once, or, for an ingest, from the store's
    /// commit once the batch is on disk, so that no server thread waits for the disk. Safe to call from the
    /// server's threads at once.
    public func handle(_ request: HTTPRequest, respond: @escaping @Sendable (HTTPResponse) -> Void) {
        let started = Date()
        let requestId = "r-" + Identifiers.random().prefix(13)
        var log = runtime.logger.with(["request.id": .safe(String(requestId)), "http.method": .safe(request.method)])
        let notes = RequestNotes()
        let (route, reply) = route(request, notes: notes, log: &log)
        reply.give { [log] response in
            var response = response
            response.headers.append((name: "X-Request-Id", value: String(requestId)))
            let elapsed = Date().timeIntervalSince(started)
            notes.annotating(log).info(
                "http.request",
                [
                    "http.route": .safe(route), "http.status": .count(response.status),
                    "duration.ms": .milliseconds(elapsed),
                ])
            respond(response)
        }
    }

    /// Handles one request and waits for its response.
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let answered = AnsweredResponse()
        handle(request) { response in answered.set(response) }
        return answered.wait()
    }

    /// The route's template and the endpoint's reply; `notes` gets what the endpoint adds to the request's line.
    private func route(_ request: HTTPRequest, notes: RequestNotes, log: inout Logger) -> (String, Reply) {
        // Split on the bytes: splitting the string compares whole characters.
        let parts = request.path.utf8.split(separator: UInt8(ascii: "/")).map { String(decoding: $0, as: UTF8.self) }
        let get = request.method == "GET"
        let post = request.method == "POST"
        if get, let _ = Self.match(parts, "healthz") {
            return ("/healthz", .ready(.json(200, ["status": "ok"])))
        }
        if get, let _ = Self.match(parts, "readyz") {
            return ("/readyz", .ready(ready()))
        }
        if get, let _ = Self.match(parts, "metrics") {
            runtime.delivery.refreshQueueDepth()
            return ("/metrics", .ready(.text(200, runtime.metrics.render(), contentType: "text/plain; version=0.0.4")))
        }
        if get, let _ = Self.match(parts, "openapi.json") {
            guard let document = openAPIDocument else {
                return (
                    "/openapi.json",
                    .ready(APIErrorList.response(404, "not_found", "the OpenAPI document is not installed"))
                )
            }
            let headers = [(name: "Content-Type", value: "application/json")]
            return ("/openapi.json", .ready(HTTPResponse(status: 200, headers: headers, body: document)))
        }
        if post, let captured = Self.match(parts, "v1", "records", nil) {
            return (
                "/v1/records/{format}",
                authorised(request, log: &log) { client, log in
                    ingest(request, format: captured[0], client: client, notes: notes, log: &log)
                }
            )
        }
        if post, let captured = Self.match(parts, "v1", "convert", nil, nil) {
            return (
                "/v1/convert/{from}/{to}",
                authorised(request, log: &log) { client, _ in
                    .ready(convert(request, from: captured[0], to: captured[1], client: client))
                }
            )
        }
        if get, let captured = Self.match(parts, "v1", "batches", nil) {
            return (
                "/v1/batches/{id}",
                authorised(request, log: &log) { client, _ in .ready(batch(captured[0], client: client)) }
            )
        }
        if get, let _ = Self.match(parts, "v1", "sources") {
            return ("/v1/sources", authorised(request, log: &log) { _, _ in .ready(sources()) })
        }
        if get, let _ = Self.match(parts, "v1", "dead-letters") {
            return (
                "/v1/dead-letters", authorised(request, log: &log) { client, _ in .ready(deadLetters(client: client)) }
            )
        }
        if post, let captured = Self.match(parts, "v1", "dead-letters", nil, "replay") {
            return (
                "/v1/dead-letters/{id}/replay",
                authorised(request, log: &log) { client, log in .ready(replay(captured[0], client: client, log: log)) }
            )
        }
        if post, let captured = Self.match(parts, "v1", "dead-letters", nil, "dismiss") {
            return (
                "/v1/dead-letters/{id}/dismiss",
                authorised(request, log: &log) { client, log in .ready(dismiss(captured[0], client: client, log: log)) }
            )
        }
        return (
            "unmatched",
            .ready(APIErrorList.response(404, "not_found", "no such endpoint: \(request.method) \(request.path)"))
        )
    }

    /// The path's variable parts when it matches `pattern` (nil marks a variable part), else nil.
    private static func match(_ parts: [String], _ pattern: String?...) -> [String]? {
        guard parts.count == pattern.count else { return nil }
        var captured: [String] = []
        for (part, expected) in zip(parts, pattern) {
            if let expected {
                guard part == expected else { return nil }
            } else {
                captured.append(part)
            }
        }
        return captured
    }

    /// Runs `body` for a known client within its rate; 401 and 429 otherwise.
    private func authorised(
        _ request: HTTPRequest, log: inout Logger,
        _ body: (GatewayConfiguration.Client, inout Logger) -> Reply
    ) -> Reply {
        guard let client = authenticator.client(for: request) else {
            var response = APIErrorList.response(
                401, "unauthorized", "a valid bearer token or client certificate is required")
            response.headers.append((name: "WWW-Authenticate", value: "Bearer"))
            return .ready(response)
        }
        log = log.with(["client": .safe(client.name)])
        guard limiter.allow(client.name, rate: client.requestsPerSecond) else {
            var response = APIErrorList.response(
                429, "rate_limited", "more than \(client.requestsPerSecond) requests a second")
            response.headers.append((name: "Retry-After", value: "1"))
            return .ready(response)
        }
        return body(client, &log)
    }

    private func ready() -> HTTPResponse {
        do {
            _ = try runtime.store.counts()
            return .json(200, ["status": "ready"])
        } catch {
            return APIErrorList.response(503, "store_unavailable", "the outbox store cannot be read")
        }
    }

    // MARK: - Endpoints

    private func ingest(
        _ request: HTTPRequest, format name: String, client: GatewayConfiguration.Client, notes: RequestNotes,
        log: inout Logger
    ) -> Reply {
        let started = Date()
        let label = runtime.environment.registry.format(named: name) == nil ? "unknown" : name
        let metrics = runtime.metrics
        return ingestReply(request, format: name, client: client, notes: notes, log: &log).observed { response in
            metrics.increment("primes_ingest_requests_total", [("format", label), ("status", String(response.status))])
            metrics.observe("primes_ingest_seconds", [("format", label)], seconds: Date().timeIntervalSince(started))
        }
    }

    private func ingestReply(
        _ request: HTTPRequest, format name: String, client: GatewayConfiguration.Client, notes: RequestNotes,
        log: inout Logger
    ) -> Reply {
        guard let format = runtime.environment.registry.format(named: name), format.canRead else {
            let readable = runtime.environment.registry.formats.filter(\.canRead).map(\.name)
            return .ready(
                APIErrorList.response(
                    404, "unknown_format",
                    "no readable format \"\(name)\" (readable: \(readable.joined(separator: ", ")))"))
        }
        guard client.maySubmit(name) else {
            return .ready(APIErrorList.response(403, "forbidden", "client \(client.name) may not submit \(name)"))
        }
        guard MediaType.accepts(request.header("content-type"), for: format) else {
            return .ready(
                APIErrorList.response(415, "unsupported_media_type", "\(name) is sent as \(format.mediaType)"))
        }
        let batchId = Ingestor.newBatchId()
        log = log.with(["batch.id": .safe(batchId)])
        let log = log
        return .later { respond in
            do {
                try self.runtime.ingestor.ingest(
                    MemoryInput(request.body, name: "body"), format: name, client: client.name, batchId: batchId
                ) { outcome in
                    respond(self.ingestResponse(outcome, format: name, notes: notes, log: log))
                }
            } catch {
                respond(self.ingestResponse(.failure(error), format: name, notes: notes, log: log))
            }
        }
    }

    /// The answer to an ingest once it is stored, or refused; the stored counts go on the request's line.
    private func ingestResponse(
        _ outcome: Result<Ingestor.Result, any Error>, format name: String, notes: RequestNotes, log: Logger
    ) -> HTTPResponse {
        do {
            let result = try outcome.get()
            notes.recordCounts = (result.accepted, result.rejected.count)
            runtime.metrics.increment(
                "primes_ingest_records_total", [("outcome", "accepted")], by: Double(result.accepted))
            runtime.metrics.increment(
                "primes_ingest_records_total", [("outcome", "rejected")], by: Double(result.rejected.count))
            guard result.accepted > 0 else {
                let message = result.rejected.isEmpty ? "the body holds no records" : "every record was refused"
                return APIErrorList.response(422, "no_acceptable_records", message, rejected: result.rejected)
            }
            return IngestAnswer(
                batch: result.batch, accepted: result.accepted, unchanged: result.unchanged, rejected: result.rejected
            ).response
        } catch let error as InputError {
            return APIErrorList.response(400, "unreadable_body", error.description)
        } catch let error as StoreError {
            log.error("ingest.store_failed", ["error": .safe(error.description)])
            return APIErrorList.response(503, "store_unavailable", "the outbox could not store the batch; retry")
        } catch {
            return APIErrorList.response(422, "unprocessable", "the body cannot be processed as \(name)")
        }
    }

    private func convert(_ request: HTTPRequest, from: String, to: String, client: GatewayConfiguration.Client)
        -> HTTPResponse
    {
        let registry = runtime.environment.registry
        guard let source = registry.format(named: from), let makeReader = source.makeReader else {
            return APIErrorList.response(404, "unknown_format", "no readable format \"\(from)\"")
        }
        guard let target = registry.format(named: to), let makeWriter = target.makeWriter else {
            return APIErrorList.response(404, "unknown_format", "no writable format \"\(to)\"")
        }
        guard client.maySubmit(from) else {
            return APIErrorList.response(403, "forbidden", "client \(client.name) may not submit \(from)")
        }
        guard MediaType.accepts(request.header("content-type"), for: source) else {
            return APIErrorList.response(415, "unsupported_media_type", "\(from) is sent as \(source.mediaType)")
        }
        do {
            let context = runtime.environment.context()
            let output = MemoryOutput()
            var report = ConversionReport(from: from, to: to)
            let body = MemoryInput(request.body, name: "body")
            try Conversion(validator: runtime.environment.validator, for: body).run(
                reader: try makeReader(body, context),
                writer: try makeWriter(output, context), report: &report)
            guard report.rejectedCount == 0 else {
                return APIErrorList.response(
                    422, "records_refused", "\(report.rejectedCount) records were refused", rejected: report.rejected)
            }
            return HTTPResponse(
                status: 200, headers: [(name: "Content-Type", value: target.mediaType)], body: output.bytes)
        } catch let error as InputError {
            return APIErrorList.response(400, "unreadable_body", error.description)
        } catch {
            return APIErrorList.response(422, "unprocessable", "the body cannot be converted from \(from) to \(to)")
        }
    }

    private func batch(_ id: String, client: GatewayConfiguration.Client) -> HTTPResponse {
        do {
            guard let status = try runtime.store.batch(id), status.client == client.name || client.isOperator else {
                return APIErrorList.response(404, "not_found", "no batch \(id) for this client")
            }
            return .json(200, status)
        } catch {
            return APIErrorList.response(503, "store_unavailable", "the outbox store cannot be read")
        }
    }

    private func deadLetters(client: GatewayConfiguration.Client) -> HTTPResponse {
        guard client.isOperator else {
            return APIErrorList.response(403, "forbidden", "client \(client.name) is not an operator")
        }
        do {
            return .json(200, ["deadLetters": try runtime.store.deadLetters(limit: 1000)])
        } catch {
            return APIErrorList.response(503, "store_unavailable", "the outbox store cannot be read")
        }
    }

    /// Queues a dead letter's delivery again: 202.
    private func replay(_ id: String, client: GatewayConfiguration.Client, log: Logger) -> HTTPResponse {
        settle(deadLetter: id, client: client, log: log, as: .replay)
    }

    /// Closes a dead letter without sending it (an operator told the partner by other means): 200.
    private func dismiss(_ id: String, client: GatewayConfiguration.Client, log: Logger) -> HTTPResponse {
        settle(deadLetter: id, client: client, log: log, as: .dismissal)
    }

    /// What an operator does with a dead letter.
    private enum Settlement {
        case replay, dismissal
    }

    /// Replays or dismisses dead letter `id` for an operator client; 403 for another, 404 for a letter that is
    /// not open.
    private func settle(
        deadLetter id: String, client: GatewayConfiguration.Client, log: Logger, as settlement: Settlement
    ) -> HTTPResponse {
        guard client.isOperator else {
            return APIErrorList.response(403, "forbidden", "client \(client.name) is not an operator")
        }
        guard let number = Int64(id) else {
            return APIErrorList.response(404, "not_found", "no dead letter \(id)")
        }
        let now = Date().timeIntervalSince1970
        do {
            switch settlement {
            case .replay:
                guard try runtime.store.replay(deadLetter: number, now: now) else {
                    return APIErrorList.response(404, "not_found", "no dead letter \(id) waiting for a replay")
                }
                log.info("dead_letter.replayed", ["dead_letter.id": .safe(id)])
                return .json(202, ["replayed": number])
            case .dismissal:
                guard try runtime.store.dismiss(deadLetter: number, now: now) else {
                    return APIErrorList.response(404, "not_found", "no open dead letter \(id)")
                }
                log.info("dead_letter.dismissed", ["dead_letter.id": .safe(id)])
                return .json(200, ["dismissed": number])
            }
        } catch {
            return APIErrorList.response(503, "store_unavailable", "the outbox store cannot be written")
        }
    }
}
