import Foundation
import Gateway
import HTTPServer
import PrimesLogging
import TestSupport
import Testing

/// The API's handler called in process (the end-to-end suite drives it over TLS).
@Suite struct GatewayAPITests {
    static func api(_ folder: TemporaryDirectory, log: LogSink = LogSink { _ in }) throws -> GatewayAPI {
        let office = GatewayConfiguration.Client(
            name: "office", tokenHashes: [TokenHash.of("office-token")], formats: ["canonical"])
        let operatorClient = GatewayConfiguration.Client(
            name: "operator", tokenHashes: [TokenHash.of("operator-token", algorithm: .blake2b)], formats: [],
            isOperator: true)
        let partner = GatewayConfiguration.Client(
            name: "partner", certificateFingerprints: [String(repeating: "ab", count: 32)], formats: ["canonical"])
        let configuration = GatewayConfiguration(
            file: "test", store: .sqlite(path: folder.path("outbox.sqlite")),
            clients: [office, operatorClient, partner])
        let runtime = try GatewayRuntime(
            configuration: configuration, environment: TestEnvironment.adapters,
            logger: Logger(label: "test", style: .json, sink: log))
        return GatewayAPI(
            runtime: runtime, openAPIPath: RepositoryPaths.root.appendingPathComponent("docs/openapi.json").path)
    }

    static func request(_ method: String, _ path: String, token: String?, body: [UInt8] = [], type: String? = nil)
        -> HTTPRequest
    {
        var headers: [String: String] = [:]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        if let type { headers["Content-Type"] = type }
        return HTTPRequest(method: method, path: path, headers: headers, body: body)
    }

    /// Posts the canonical fixture `name` as `office`.
    static func ingest(_ fixture: String, into api: GatewayAPI) throws -> HTTPResponse {
        api.handle(
            Self.request(
                "POST", "/v1/records/canonical", token: "office-token", body: try Self.fixture(fixture),
                type: "application/x-ndjson"))
    }

    static func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: RepositoryPaths.fixture(name))))
    }

    @Test func servesTheOpenAPIDocumentFromTheRepository() throws {
        let folder = try TemporaryDirectory()
        let response = try Self.api(folder).handle(Self.request("GET", "/openapi.json", token: nil))
        #expect(response.status == 200)
        let document = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        #expect(document?["openapi"] as? String == "3.1.0")
        let paths = document?["paths"] as? [String: Any]
        #expect(paths?["/v1/records/{format}"] != nil)
        #expect(
            response.body
                == Array(try Data(contentsOf: RepositoryPaths.root.appendingPathComponent("docs/openapi.json"))))
    }

    @Test func healthReadinessAndMetricsNeedNoToken() throws {
        let folder = try TemporaryDirectory()
        let api = try Self.api(folder)
        #expect(api.handle(Self.request("GET", "/healthz", token: nil)).status == 200)
        #expect(api.handle(Self.request("GET", "/readyz", token: nil)).status == 200)
        _ = api.handle(
            Self.request(
                "POST", "/v1/records/canonical", token: "office-token",
                body: try Self.fixture("canonical/family-of-five.ndjson"), type: "application/x-ndjson"))
        let metrics = String(decoding: api.handle(Self.request("GET", "/metrics", token: nil)).body, as: UTF8.self)
        #expect(metrics.contains("# TYPE primes_ingest_seconds histogram"))
        #expect(metrics.contains("primes_ingest_requests_total{format=\"canonical\",status=\"202\"} 1"))
        #expect(metrics.contains("primes_ingest_seconds_bucket{format=\"canonical\",le=\"+Inf\"} 1"))
        #expect(metrics.contains("primes_ingest_records_total{outcome=\"accepted\"} 6"))
    }

    @Test func aBodyWhoseEveryRecordIsRefusedIsCountedAndLogged() throws {
        let folder = try TemporaryDirectory()
        let lines = LockedLines()
        let api = try Self.api(folder, log: LogSink { lines.append($0) })
        let response = try Self.ingest("canonical/invalid-codes-and-dates.ndjson", into: api)
        #expect(response.status == 422)
        let metrics = String(decoding: api.handle(Self.request("GET", "/metrics", token: nil)).body, as: UTF8.self)
        #expect(metrics.contains("primes_ingest_records_total{outcome=\"rejected\"} 6"))
        #expect(metrics.contains("primes_ingest_requests_total{format=\"canonical\",status=\"422\"} 1"))
        let requestLine = lines.text.split(separator: "\n").first { $0.contains("\"http.status\":\"422\"") }
        #expect(requestLine?.contains("\"records.rejected\":\"6\"") == true)
    }

    @Test func aClientSeesItsOwnBatchesAndOnlyOperatorsSeeDeadLetters() throws {
        let folder = try TemporaryDirectory()
        let api = try Self.api(folder)
        let answer = api.handle(
            Self.request(
                "POST", "/v1/records/canonical", token: "office-token",
                body: try Self.fixture("canonical/stateless-person.ndjson"), type: "application/json"))
        #expect(answer.status == 202)
        let batch = try #require(
            (try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any])?["batch"] as? String)
        #expect(api.handle(Self.request("GET", "/v1/batches/\(batch)", token: "office-token")).status == 200)
        #expect(api.handle(Self.request("GET", "/v1/batches/\(batch)", token: "operator-token")).status == 200)
        #expect(api.handle(Self.request("GET", "/v1/batches/nope", token: "office-token")).status == 404)
        #expect(api.handle(Self.request("GET", "/v1/dead-letters", token: "office-token")).status == 403)
        #expect(api.handle(Self.request("GET", "/v1/dead-letters", token: "operator-token")).status == 200)
        #expect(api.handle(Self.request("POST", "/v1/dead-letters/42/replay", token: "operator-token")).status == 404)
        #expect(api.handle(Self.request("POST", "/v1/dead-letters/42/dismiss", token: "operator-token")).status == 404)
        #expect(api.handle(Self.request("POST", "/v1/dead-letters/42/dismiss", token: "office-token")).status == 403)
        #expect(api.handle(Self.request("POST", "/v1/records/no-such-format", token: "office-token")).status == 404)
        // A format the gateway knows but the client was not given.
        #expect(api.handle(Self.request("POST", "/v1/records/scope-csv", token: "office-token")).status == 403)
        #expect(api.handle(Self.request("GET", "/v1/nothing", token: "office-token")).status == 404)
    }

    @Test func convertsWithoutStoring() throws {
        let folder = try TemporaryDirectory()
        let api = try Self.api(folder)
        let good = api.handle(
            Self.request(
                "POST", "/v1/convert/canonical/canonical", token: "office-token",
                body: try Self.fixture("canonical/family-of-five.ndjson"), type: "application/x-ndjson"))
        #expect(good.status == 200)
        #expect(String(decoding: good.body, as: UTF8.self).split(separator: "\n").count == 6)
        let bad = api.handle(
            Self.request(
                "POST", "/v1/convert/canonical/canonical", token: "office-token",
                body: try Self.fixture("canonical/invalid-codes-and-dates.ndjson"), type: "application/x-ndjson"))
        #expect(bad.status == 422)
        #expect(String(decoding: bad.body, as: UTF8.self).contains("\"rejected\""))
    }

    @Test func logsCarryRequestIdsAndNoPersonalData() throws {
        let folder = try TemporaryDirectory()
        let lines = LockedLines()
        let api = try Self.api(folder, log: LogSink { lines.append($0) })
        let response = try Self.ingest("canonical/family-of-five.ndjson", into: api)
        let requestId = try #require(response.headers.first { $0.name == "X-Request-Id" }?.value)
        let text = lines.text
        #expect(text.contains("\"request.id\":\"\(requestId)\""))
        // One line for the request, carrying the batch and what was stored: five people and their group.
        let requestLines = text.split(separator: "\n").filter { $0.contains("\"event\":\"http.request\"") }
        #expect(requestLines.count == 1)
        #expect(requestLines.first?.contains("\"records.accepted\":\"6\"") == true)
        #expect(requestLines.first?.contains("\"records.rejected\":\"0\"") == true)
        #expect(text.contains("\"batch.id\":\"b-"))
        for personal in ["Amani", "TST-000000101", "1984-05-17", "+254700000101"] { #expect(!text.contains(personal)) }
    }
}

extension GatewayAPITests {
    @Test func aClientCertificateFingerprintIdentifiesAClient() throws {
        let folder = try TemporaryDirectory()
        let api = try Self.api(folder)
        let body = try Self.fixture("canonical/stateless-person.ndjson")
        let known = HTTPRequest(
            method: "POST", path: "/v1/records/canonical", headers: ["Content-Type": "application/x-ndjson"],
            body: body,
            clientCertificate: ClientCertificate(
                subject: "CN=partner", sha256Fingerprint: String(repeating: "ab", count: 32)))
        #expect(api.handle(known).status == 202)
        let unknown = HTTPRequest(
            method: "POST", path: "/v1/records/canonical", headers: ["Content-Type": "application/x-ndjson"],
            body: body,
            clientCertificate: ClientCertificate(
                subject: "CN=other", sha256Fingerprint: String(repeating: "cd", count: 32)))
        #expect(api.handle(unknown).status == 401)
    }
}

final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        lines.append(line)
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return lines.joined()
    }
}
