import Foundation
import Gateway
import HTTPServer
import PrimesLogging
import TestSupport
import Testing

/// The daemon's side of sync: the scheduler polls a directory source on its own, and `/v1/sources` shows it.
@Suite struct SyncSchedulerTests {
    static func runtime(_ folder: TemporaryDirectory) throws -> GatewayRuntime {
        try FileManager.default.createDirectory(atPath: folder.path("incoming"), withIntermediateDirectories: true)
        let officeTokenHash = TokenHash.of("office-token").digest.map { String(format: "%02x", $0) }.joined()
        let agreement = RepositoryPaths.mappings.appendingPathComponent("agreements/sample-case-referral.yaml")
        let config = try folder.write(
            "gateway.yaml",
            """
            store: sqlite:outbox.sqlite
            clients:
              - name: office
                tokenHashes: [sha256:\(officeTokenHash)]
                formats: [canonical]
            destinations:
              - name: drop
                kind: file
                directory: delivered
                format: canonical
                agreement: \(agreement.path)
            sources:
              - name: scope-drop
                kind: directory
                path: incoming
                format: scope-csv
                schedule: {interval: 100ms, jitter: 50ms}
                to: [drop]
              - name: ping-kenya
                kind: ping
                url: https://127.0.0.1:9/api
                credentials: ping.yaml
            """)
        return try GatewayRuntime(
            configuration: try GatewayConfiguration.load(path: config), environment: TestEnvironment.adapters,
            logger: Logger(label: "test", style: .json, sink: LogSink { _ in }))
    }

    @Test func pollsADirectorySourceOnItsScheduleUntilStopped() throws {
        let folder = try TemporaryDirectory()
        let runtime = try Self.runtime(folder)
        let scheduler = SyncScheduler(runtime: runtime)
        scheduler.start()
        defer { scheduler.stop() }
        let csv = try String(contentsOfFile: RepositoryPaths.fixture("scope/households.csv"), encoding: .utf8)
        _ = try folder.write("incoming/households.csv", csv)

        let done = folder.path("incoming/done/households.csv")
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: done) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(FileManager.default.fileExists(atPath: done))
        scheduler.stop()
        let statuses = try #require(runtime.store as? any SourceStore).sourceStatuses()
        #expect(statuses.first?.recordsEnqueued == 14)
        // Several polls have run by now (every 100–150 ms); the later ones found nothing to do.
        #expect(statuses.map(\.source) == ["scope-drop"])
    }

    /// Each source polls on its own thread: a partner that does not answer does not hold up a folder.
    @Test func aSlowPartnerDoesNotDelayAnotherSource() throws {
        let folder = try TemporaryDirectory()
        let runtime = try Self.runtime(folder)
        let slowPollStarted = DispatchSemaphore(value: 0)
        let partnerAnswers = DispatchSemaphore(value: 0)
        // The partner's poll hangs until the test lets it go.
        let slow: PullReaders.Open = { _, _, _, _ in
            slowPollStarted.signal()
            _ = partnerAnswers.wait(timeout: .now() + 60)
            throw SyncError.storeWithoutCursors
        }
        let scheduler = SyncScheduler(runtime: runtime, readers: PullReaders([.ping: slow]))
        scheduler.start()
        defer {
            partnerAnswers.signal()
            scheduler.stop()
        }
        #expect(slowPollStarted.wait(timeout: .now() + 10) == .success)
        let csv = try String(contentsOfFile: RepositoryPaths.fixture("scope/households.csv"), encoding: .utf8)
        _ = try folder.write("incoming/households.csv", csv)
        let done = folder.path("incoming/done/households.csv")
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: done) && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(FileManager.default.fileExists(atPath: done), "the folder waited for the partner's poll")
    }

    @Test func listsTheSourcesWithTheirStateForAnAuthenticatedClient() throws {
        let folder = try TemporaryDirectory()
        let runtime = try Self.runtime(folder)
        let csv = try String(contentsOfFile: RepositoryPaths.fixture("scope/households.csv"), encoding: .utf8)
        _ = try folder.write("incoming/households.csv", csv)
        _ = try SourcePoller(runtime: runtime).poll("scope-drop")
        let api = GatewayAPI(runtime: runtime, openAPIPath: nil)

        #expect(api.handle(HTTPRequest(method: "GET", path: "/v1/sources")).status == 401)
        let response = api.handle(
            HTTPRequest(method: "GET", path: "/v1/sources", headers: ["Authorization": "Bearer office-token"]))
        #expect(response.status == 200)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        let sources = try #require(body["sources"] as? [[String: Any]])
        #expect(sources.map { $0["name"] as? String } == ["scope-drop", "ping-kenya"])
        let status = try #require(sources.first?["status"] as? [String: Any])
        #expect(status["recordsEnqueued"] as? Int == 14)
        #expect(status["lastFile"] as? String == "households.csv")
        #expect(sources.first?["intervalSeconds"] as? Double == 0.1)
        let never = try #require(sources.last?["status"] as? [String: Any])
        #expect(never["lastPollAt"] == nil)
        #expect(never["recordsPulled"] as? Int == 0)

        // A poll of a source without a reader fails, and the metrics count both polls.
        #expect(throws: SyncError.self) { try SourcePoller(runtime: runtime).poll("ping-kenya") }
        let metrics = runtime.metrics.render()
        #expect(metrics.contains("primes_source_polls_total{source=\"scope-drop\",result=\"ok\"} 1"))
        #expect(metrics.contains("primes_source_polls_total{source=\"ping-kenya\",result=\"failed\"} 1"))
        #expect(metrics.contains("primes_source_records_total{source=\"scope-drop\",outcome=\"enqueued\"} 14"))
        #expect(metrics.contains("primes_source_poll_seconds_count{source=\"scope-drop\"} 1"))
    }
}
