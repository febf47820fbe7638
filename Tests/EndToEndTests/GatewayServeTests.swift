import Foundation
import HTTPClient
import TestSupport
import Testing

/// `primes-gateway serve` end to end over loopback TLS: ingest, delivery to an HTTPS partner, retries, dead
/// letters and replay, a crash in the middle of delivering, and the API's refusals.
@Suite(.serialized) struct GatewayServeTests {
    static let token = "e2e-token-not-secret"
    static let limitedToken = "e2e-other-token"

    /// A folder with a configuration routing canonical records to `sinkURL` under a small agreement.
    static func configuration(
        sinkURL: String, in folder: TemporaryDirectory, maxAttempts: Int = 6, requestsPerSecond: Int = 1000,
        maximumBodyBytes: Int = 1 << 20, store: String = "sqlite:outbox.sqlite"
    ) throws -> String {
        let certificates = try TestCertificates.shared()
        let agreement = try folder.write(
            "agreement.yaml", "agreement: e2e\nversion: 2\nfields:\n  - id\n  - name.family\n  - sex\n")
        let hash = { (token: String) in "sha256:" + sha256(token) }
        return try folder.write(
            "gateway.yaml",
            """
            listeners:
              - host: 127.0.0.1
                port: 0
                maximumBodyBytes: \(maximumBodyBytes)
                tls: {certificate: \(certificates.serverCertificate), key: \(certificates.serverKey)}
            store: \(store)
            clients:
              - name: office
                tokenHashes: [\(hash(token))]
                formats: [canonical]
                requestsPerSecond: \(requestsPerSecond)
                operator: true
              - name: limited
                tokenHashes: [\(hash(limitedToken))]
                formats: [scope-csv]
            destinations:
              - name: partner
                kind: http
                url: \(sinkURL)
                caCertificate: \(certificates.caCertificate)
                format: canonical
                agreement: \(agreement)
                retry: {maxAttempts: \(maxAttempts), initialDelay: 50ms, maxDelay: 200ms}
            routes:
              - from: canonical
                to: [partner]
            delivery:
              workers: 2
              leaseSeconds: 2
              claimSize: 32
              pollSeconds: 0.05
            """)
    }

    static func sha256(_ text: String) -> String {
        let result = try? ProcessRunner.run("/usr/bin/sha256sum", [], input: Data(text.utf8))
        return String(result?.standardOutput.prefix(64) ?? "")
    }

    static func client() throws -> HTTPClient {
        HTTPClient(
            configuration: HTTPClientConfiguration(caCertificatePath: try TestCertificates.shared().caCertificate))
    }

    static func post(
        _ daemon: GatewayDaemon, _ path: String, body: [UInt8], token: String? = GatewayServeTests.token,
        contentType: String = "application/x-ndjson"
    ) throws -> HTTPClientResponse {
        try client().send(
            HTTPClientRequest(
                method: "POST", url: daemon.baseURL + path, headers: [(name: "Content-Type", value: contentType)],
                body: body, authorization: token.map { .bearer($0) }))
    }

    static func get(_ daemon: GatewayDaemon, _ path: String) throws -> HTTPClientResponse {
        try client().send(HTTPClientRequest(url: daemon.baseURL + path, authorization: .bearer(token)))
    }

    static func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: RepositoryPaths.fixture(name))))
    }

    /// `count` synthetic persons, one NDJSON line each.
    static func persons(_ count: Int) -> [UInt8] {
        let lines = (0..<count).map { index in
            let id = String(format: "TST-9%08d", index)
            return
                "{\"recordType\":\"person\",\"id\":\"\(id)\",\"name\":{\"given\":\"Synth\",\"family\":\"Person\(index)\"},"
                + "\"sex\":\"\(index % 2 == 0 ? "female" : "male")\",\"contacts\":[{\"kind\":\"phone\",\"value\":\"+254700000000\"}]}"
        }
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    @Test func aPartnerFailingItsFirstCallsGetsEachRecordOnce() throws {
        let sink = try RecordingSink(failFirst: 3, failureStatus: 503)
        let folder = try TemporaryDirectory()
        let daemon = try GatewayDaemon(config: try Self.configuration(sinkURL: sink.url, in: folder))
        defer { daemon.stop() }

        let answer = try Self.post(
            daemon, "/v1/records/canonical", body: try Self.fixture("canonical/stateless-person.ndjson"))
        #expect(answer.status == 202, "\(answer.text)")
        #expect(try eventually(within: 20) { sink.storedCount == 1 }, "\(daemon.log)")
        let seen = sink.snapshot
        #expect(seen.calls == 4)
        #expect(seen.repeats == 0)

        // The partner got only the agreed fields: no contacts, no birth date, no given name.
        let body = try #require(seen.stored.values.first)
        let sent = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        let keys = Set((sent ?? [:]).keys)
        #expect(keys.isSubset(of: ["recordType", "id", "name", "sex"]))
        #expect(keys.contains("id"))

        let batch = try #require(answer.text.split(separator: "\"").drop { $0 != "batch" }.dropFirst(2).first)
        let status = try Self.get(daemon, "/v1/batches/\(batch)")
        #expect(status.text.contains("\"state\":\"delivered\""))
        #expect(status.text.contains("\"attempts\":4"))
        let metrics = try Self.get(daemon, "/metrics").text
        #expect(metrics.contains("primes_retries_total{destination=\"partner\"} 3"))
    }

    /// Many clients at once, each keeping its connection: while their requests wait for shared commits the
    /// server's threads serve the others, every request gets its own 202 batch, and each record reaches the
    /// partner once; the daemon then stops cleanly.
    @Test func concurrentClientsEachGetTheirOwnDurableAnswer() throws {
        let sink = try RecordingSink()
        let folder = try TemporaryDirectory()
        let daemon = try GatewayDaemon(config: try Self.configuration(sinkURL: sink.url, in: folder))
        defer { daemon.stop() }
        let clients = 12
        let perClient = 20
        let batches = ConcurrentAnswers()

        let finished = DispatchGroup()
        for client in 0..<clients {
            finished.enter()
            Thread {
                defer { finished.leave() }
                guard let connection = try? Self.client() else { return }
                for round in 0..<perClient {
                    let index = client * perClient + round
                    let line =
                        "{\"recordType\":\"person\",\"id\":\"\(String(format: "TST-7%08d", index))\","
                        + "\"name\":{\"family\":\"Person\(index)\"},\"sex\":\"female\"}\n"
                    let answer = try? connection.send(
                        HTTPClientRequest(
                            method: "POST", url: daemon.baseURL + "/v1/records/canonical",
                            headers: [(name: "Content-Type", value: "application/x-ndjson")], body: Array(line.utf8),
                            authorization: .bearer(Self.token)))
                    batches.record(status: answer?.status ?? 0, body: answer?.text ?? "")
                }
            }.start()
        }
        #expect(finished.wait(timeout: .now() + 120) == .success)

        let total = clients * perClient
        let seen = batches.snapshot
        #expect(seen.statuses == [202: total], "\(daemon.log.suffix(2000))")
        #expect(seen.batchIds.count == total)
        #expect(try eventually(within: 60) { sink.storedCount == total }, "\(sink.storedCount) of \(total)")
        #expect(sink.snapshot.repeats == 0)
        let metrics = try Self.get(daemon, "/metrics").text
        #expect(metrics.contains("primes_ingest_requests_total{format=\"canonical\",status=\"202\"} \(total)"))

        daemon.stop()
        #expect(daemon.process.terminationStatus == 0, "\(daemon.log.suffix(2000))")
    }

    @Test func aRefusingPartnerGivesADeadLetterThatIsDeliveredOnceReplayed() throws {
        let sink = try RecordingSink(failFirst: Int.max, failureStatus: 422)
        let folder = try TemporaryDirectory()
        let daemon = try GatewayDaemon(config: try Self.configuration(sinkURL: sink.url, in: folder))
        defer { daemon.stop() }

        #expect(
            try Self.post(daemon, "/v1/records/canonical", body: try Self.fixture("canonical/stateless-person.ndjson"))
                .status == 202)
        var letters = ""
        #expect(
            try eventually(within: 20) {
                letters = try Self.get(daemon, "/v1/dead-letters").text
                return letters.contains("HTTP 422")
            })
        #expect(sink.snapshot.calls == 1)

        sink.fix()
        let id = try #require(letters.split(separator: "\"id\":").dropFirst().first?.prefix { $0.isNumber })
        let replay = try Self.post(daemon, "/v1/dead-letters/\(id)/replay", body: [])
        #expect(replay.status == 202, "\(replay.text)")
        #expect(try eventually(within: 20) { sink.storedCount == 1 })
        #expect(try Self.get(daemon, "/v1/dead-letters").text == "{\"deadLetters\":[]}")
    }

    @Test func aCrashWhileDeliveringLosesNothingAndTheSinkStoresEachRecordOnce() throws {
        // 2,000 keeps the suite fast; PRIMES_LONG_TESTS=1 runs the issue's 10,000.
        let count = ProcessInfo.processInfo.environment["PRIMES_LONG_TESTS"] == "1" ? 10_000 : 2000
        let sink = try RecordingSink(delaySeconds: 0.001)
        let folder = try TemporaryDirectory()
        let config = try Self.configuration(sinkURL: sink.url, in: folder, maximumBodyBytes: 16 << 20)
        let first = try GatewayDaemon(config: config)
        let answer = try Self.post(first, "/v1/records/canonical", body: Self.persons(count))
        try #require(answer.status == 202, "\(answer.text)")
        #expect(answer.text.contains("\"accepted\":\(count)"))

        _ = eventually(within: 30) { sink.storedCount >= count / 10 }
        first.crash()
        let atCrash = sink.storedCount
        #expect(atCrash < count, "the crash came after every delivery; the test proves nothing")

        let second = try GatewayDaemon(config: config)
        defer { second.stop() }
        #expect(
            try eventually(within: Double(count) / 10) { sink.storedCount == count }, "\(sink.storedCount) of \(count)")
        let seen = sink.snapshot
        // Each stored body is a different record, and a repeat after the crash (a delivery whose outcome
        // was not committed) carried the same key, so the partner kept it once.
        let ids = Set(
            seen.stored.values.compactMap { body in
                (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["id"] as? String
            })
        #expect(ids.count == count)
        #expect(seen.repeats <= 2 * 32, "repeats beyond the claims in flight at the crash: \(seen.repeats)")
    }

    @Test func refusesBadRequestsWithAJSONErrorList() throws {
        let sink = try RecordingSink()
        let folder = try TemporaryDirectory()
        let daemon = try GatewayDaemon(
            config: try Self.configuration(sinkURL: sink.url, in: folder, requestsPerSecond: 5, maximumBodyBytes: 4096))
        defer { daemon.stop() }
        let good = try Self.fixture("canonical/stateless-person.ndjson")

        let cases: [(String, HTTPClientResponse, Int, String)] = [
            ("no token", try Self.post(daemon, "/v1/records/canonical", body: good, token: nil), 401, "unauthorized"),
            (
                "bad token", try Self.post(daemon, "/v1/records/canonical", body: good, token: "wrong"), 401,
                "unauthorized"
            ),
            (
                "route not given", try Self.post(daemon, "/v1/records/canonical", body: good, token: Self.limitedToken),
                403, "forbidden"
            ),
            (
                "too large", try Self.post(daemon, "/v1/records/canonical", body: Self.persons(100)), 413,
                "payload_too_large"
            ),
            (
                "wrong type", try Self.post(daemon, "/v1/records/canonical", body: good, contentType: "text/plain"),
                415, "unsupported_media_type"
            ),
            (
                "all refused",
                try Self.post(
                    daemon, "/v1/records/canonical", body: try Self.fixture("canonical/invalid-codes-and-dates.ndjson")),
                422, "no_acceptable_records"
            ),
        ]
        for (name, response, status, code) in cases {
            #expect(response.status == status, "\(name): \(response.text)")
            #expect(response.header("content-type") == "application/json", "\(name)")
            #expect(response.text.contains("\"code\":\"\(code)\""), "\(name): \(response.text)")
        }
        #expect(!daemon.log.contains("Amani"))

        var statuses: [Int] = []
        for _ in 0..<12 { statuses.append(try Self.post(daemon, "/v1/records/canonical", body: good).status) }
        #expect(statuses.contains(429))
    }
}

/// The answers of many client threads: how many of each status, and the distinct batch ids.
private final class ConcurrentAnswers: @unchecked Sendable {
    private let lock = NSLock()
    private var statuses: [Int: Int] = [:]
    private var batchIds: Set<String> = []

    func record(status: Int, body: String) {
        lock.lock()
        defer { lock.unlock() }
        statuses[status, default: 0] += 1
        if let range = body.range(of: "\"batch\":\"") {
            batchIds.insert(String(body[range.upperBound...].prefix { $0 != "\"" }))
        }
    }

    var snapshot: (statuses: [Int: Int], batchIds: Set<String>) {
        lock.lock()
        defer { lock.unlock() }
        return (statuses, batchIds)
    }
}
