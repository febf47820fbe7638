import Adapters
import Foundation
import Gateway
import PrimesLogging
import TestSupport
import Testing

/// A `directory` source over a real SQLite store, delivering to a real `file` destination.
@Suite struct DirectorySourceTests {
    /// A gateway with a SCOPE drop folder routed to a `file` destination.
    struct Setup {
        let folder: TemporaryDirectory
        let runtime: GatewayRuntime
        let poller: SourcePoller

        init() throws {
            folder = try TemporaryDirectory()
            try FileManager.default.createDirectory(atPath: folder.path("incoming"), withIntermediateDirectories: true)
            let agreement = RepositoryPaths.mappings.appendingPathComponent("agreements/sample-case-referral.yaml")
            let config = try folder.write(
                "gateway.yaml",
                """
                store: sqlite:outbox.sqlite
                destinations:
                  - name: drop
                    kind: file
                    directory: delivered
                    format: canonical
                    agreement: \(agreement.path)
                routes:
                  - from: scope-drop
                    to: [drop]
                sources:
                  - name: scope-drop
                    kind: directory
                    path: incoming
                    format: scope-csv
                """)
            runtime = try GatewayRuntime(
                configuration: try GatewayConfiguration.load(path: config), environment: TestEnvironment.adapters,
                logger: Logger(label: "test", style: .json, sink: LogSink { _ in }))
            poller = SourcePoller(runtime: runtime)
        }

        func drop(_ name: String, _ text: String) throws {
            _ = try folder.write("incoming/" + name, text)
        }

        func files(_ subfolder: String) throws -> [String] {
            let path = folder.path(subfolder)
            guard FileManager.default.fileExists(atPath: path) else { return [] }
            return try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        }

        func pollAndDeliver() throws -> PollReport {
            let report = try poller.poll("scope-drop")
            try runtime.delivery.drain()
            return report
        }
    }

    static let households =
        (try? String(contentsOfFile: RepositoryPaths.fixture("scope/households.csv"), encoding: .utf8)) ?? ""

    @Test func aDroppedSCOPEFileBecomesDeliveriesAndMovesToDone() throws {
        let setup = try Setup()
        try setup.drop("households.csv", Self.households)
        let report = try setup.pollAndDeliver()
        let file = try #require(report.files.first)
        #expect(report.files.count == 1)
        #expect(file.outcome == .done)
        #expect(file.movedTo == "done/households.csv")
        #expect(file.rejected == 0)
        #expect(file.accepted > 0)
        #expect(file.enqueued == file.accepted)
        #expect(try setup.files("incoming") == ["done", "rejected"])
        #expect(try setup.files("incoming/done") == ["households.csv"])
        #expect(try setup.files("delivered").count == file.accepted)
        let counts = try setup.runtime.store.counts()
        #expect(counts == [DeliveryCount(destination: "drop", state: .delivered, count: file.accepted)])
    }

    @Test func theSameFileDroppedAgainIsNotEnqueuedTwice() throws {
        let setup = try Setup()
        try setup.drop("monday.csv", Self.households)
        let first = try setup.pollAndDeliver()
        try setup.drop("tuesday.csv", Self.households)
        let second = try setup.pollAndDeliver()
        let file = try #require(second.files.first)
        #expect(file.alreadyProcessed)
        #expect(file.enqueued == 0)
        #expect(file.movedTo == "done/tuesday.csv")
        let total = try setup.runtime.store.counts().map(\.count).reduce(0, +)
        #expect(total == first.enqueued)
    }

    @Test func aCrashBetweenTheCommitAndTheMoveDoesNotEnqueueTheFileAgain() throws {
        let setup = try Setup()
        try setup.drop("households.csv", Self.households)
        let first = try setup.poller.poll("scope-drop")
        // As if the process died after the commit but before the move: the file is back in the folder.
        try FileManager.default.moveItem(
            atPath: setup.folder.path("incoming/done/households.csv"),
            toPath: setup.folder.path("incoming/households.csv"))
        let again = try setup.poller.poll("scope-drop")
        #expect(again.files.first?.alreadyProcessed == true)
        #expect(again.enqueued == 0)
        #expect(try setup.files("incoming/done") == ["households.csv"])
        let total = try setup.runtime.store.counts().map(\.count).reduce(0, +)
        #expect(total == first.enqueued)
    }

    @Test func aFileWithARejectedRecordGoesToRejectedWithItsReport() throws {
        let setup = try Setup()
        // The spouse on line 3 gets a sex code SCOPE does not have.
        let text = Self.households.replacingOccurrences(of: ",SPOUSE,M,1985,", with: ",SPOUSE,Q,1985,")
        #expect(text != Self.households)
        try setup.drop("bad-sex.csv", text)
        let report = try setup.pollAndDeliver()
        let file = try #require(report.files.first)
        #expect(file.outcome == .rejected)
        #expect(file.rejected == 1)
        #expect(file.enqueued == file.accepted)
        #expect(try setup.files("incoming/rejected") == ["bad-sex.csv", "bad-sex.csv.report.json"])
        let json = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: setup.folder.path("incoming/rejected/bad-sex.csv.report.json")))
        )
        let object = try #require(json as? [String: Any])
        #expect(object["file"] as? String == "bad-sex.csv")
        let conversion = try #require(object["conversion"] as? [String: Any])
        let rejected = try #require((conversion["rejected"] as? [[String: Any]])?.first)
        #expect((rejected["location"] as? [String: Any])?["line"] as? Int == 3)
        let issue = try #require((rejected["issues"] as? [[String: Any]])?.first)
        #expect(issue["field"] as? String == "sex")
        // The accepted records of the file were still delivered.
        #expect(try setup.files("delivered").count == file.accepted)
    }

    @Test func unchangedRecordsAreNotEnqueuedAgainOnALaterPoll() throws {
        let setup = try Setup()
        try setup.drop("week-1.csv", Self.households)
        let first = try setup.pollAndDeliver()
        // The next export has the same households with one person's phone number changed.
        try setup.drop("week-2.csv", Self.households.replacingOccurrences(of: "+254700000101", with: "+254700000199"))
        let second = try setup.pollAndDeliver()
        let file = try #require(second.files.first)
        #expect(!file.alreadyProcessed)
        #expect(file.accepted == first.enqueued)
        #expect(file.enqueued == 1)
        #expect(file.unchanged == file.accepted - 1)
        #expect(try setup.files("delivered").count == first.enqueued + 1)

        let status = try #require(try setup.poller.store.sourceStatuses().first)
        #expect(status.source == "scope-drop")
        #expect(status.filesProcessed == 2)
        #expect(status.recordsPulled == 2 * first.enqueued)
        #expect(status.recordsEnqueued == first.enqueued + 1)
        #expect(status.recordsUnchanged == first.enqueued - 1)
        #expect(status.lastFile == "week-2.csv")
        #expect(status.lastPollAt != nil)
        #expect(status.lastError == nil)
    }

    @Test func aMissingFolderIsAPollErrorKeptInTheSourceState() throws {
        let setup = try Setup()
        try FileManager.default.removeItem(atPath: setup.folder.path("incoming"))
        #expect(throws: SyncError.self) { try setup.poller.poll("scope-drop") }
        let status = try #require(try setup.poller.store.sourceStatuses().first)
        #expect(status.lastError?.contains("is not a folder") == true)
    }
}
