import Foundation
import TestSupport
import Testing

/// `sync --once` and `sync status` through the real executable: a SCOPE CSV dropped into a directory source
/// becomes deliveries to a `file` destination.
@Suite struct GatewaySyncTests {
    @Test func aDroppedSCOPEFileIsDeliveredOnceAndTheStatusSaysSo() throws {
        let folder = try TemporaryDirectory()
        let agreement = RepositoryPaths.mappings.appendingPathComponent("agreements/sample-case-referral.yaml").path
        let config = try folder.write(
            "gateway.yaml",
            """
            store: sqlite:outbox.sqlite
            destinations:
              - name: drop
                kind: file
                directory: delivered
                format: canonical
                agreement: \(agreement)
            sources:
              - name: scope-drop
                kind: directory
                path: incoming
                format: scope-csv
                schedule: {interval: 10m, jitter: 1m}
                to: [drop]
            """)
        try FileManager.default.createDirectory(atPath: folder.path("incoming"), withIntermediateDirectories: true)
        let csv = try String(contentsOfFile: RepositoryPaths.fixture("scope/households.csv"), encoding: .utf8)
        _ = try folder.write("incoming/households.csv", csv)

        let before = try ProcessRunner.gateway(["sync", "status", "--config", config])
        #expect(before.status == 0, "\(before.standardError)")
        #expect(before.standardOutput.contains("scope-drop: last poll never; 0 pulled"))

        let first = try ProcessRunner.gateway(["sync", "--config", config, "--source", "scope-drop", "--once"])
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput.contains("households.csv: done, 14 accepted (14 enqueued, 0 unchanged)"))
        #expect(first.standardOutput.contains("0 deliveries waiting"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path("delivered")).count == 14)
        #expect(FileManager.default.fileExists(atPath: folder.path("incoming/done/households.csv")))

        _ = try folder.write("incoming/again.csv", csv)
        let second = try ProcessRunner.gateway(["sync", "--config", config, "--source", "scope-drop", "--once"])
        #expect(second.status == 0, "\(second.standardError)")
        #expect(second.standardOutput.contains("again.csv: done, processed before (same checksum): nothing enqueued"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path("delivered")).count == 14)

        let status = try ProcessRunner.gateway(["sync", "status", "--config", config, "--json"])
        #expect(status.status == 0, "\(status.standardError)")
        let rows = try #require(
            try JSONSerialization.jsonObject(with: Data(status.standardOutput.utf8)) as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(rows.first?["recordsEnqueued"] as? Int == 14)
        #expect(rows.first?["filesProcessed"] as? Int == 1)
        #expect(rows.first?["lastPollAt"] != nil)
    }

    /// The same poll with the outbox on PostgreSQL: the cursors live in the shared database, so a second
    /// instance (here a second run) finds the file processed.
    @Test(.enabled(if: TestPostgres.isEnabled, Comment(rawValue: TestPostgres.skipReason)))
    func aDirectorySourceKeepsItsCursorOnPostgreSQL() throws {
        let database = try TestPostgresDatabase()
        let folder = try TemporaryDirectory()
        let agreement = RepositoryPaths.mappings.appendingPathComponent("agreements/sample-case-referral.yaml").path
        let config = try folder.write(
            "gateway.yaml",
            """
            store: \(database.url)
            destinations:
              - {name: drop, kind: file, directory: delivered, format: canonical, agreement: \(agreement)}
            sources:
              - {name: scope-drop, kind: directory, path: incoming, format: scope-csv, to: [drop]}
            """)
        try FileManager.default.createDirectory(atPath: folder.path("incoming"), withIntermediateDirectories: true)
        let csv = try String(contentsOfFile: RepositoryPaths.fixture("scope/households.csv"), encoding: .utf8)
        _ = try folder.write("incoming/households.csv", csv)
        let poll = ["sync", "--config", config, "--source", "scope-drop", "--once"]
        let first = try ProcessRunner.gateway(poll)
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput.contains("households.csv: done, 14 accepted (14 enqueued, 0 unchanged)"))
        _ = try folder.write("incoming/again.csv", csv)
        let second = try ProcessRunner.gateway(poll)
        #expect(second.standardOutput.contains("again.csv: done, processed before (same checksum)"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path("delivered")).count == 14)
        let status = try ProcessRunner.gateway(["sync", "status", "--config", config])
        #expect(status.standardOutput.contains("14 pulled, 14 enqueued, 0 unchanged, 0 rejected"), "\(status)")
    }

    @Test func anUnknownSourceOrAMissingOnceIsAUsageError() throws {
        let folder = try TemporaryDirectory()
        let config = try folder.write(
            "gateway.yaml",
            """
            store: sqlite:outbox.sqlite
            sources:
              - name: scope-drop
                kind: directory
                path: incoming
                format: scope-csv
            """)
        let unknown = try ProcessRunner.gateway(["sync", "--config", config, "--source", "nope", "--once"])
        #expect(unknown.status == 2)
        #expect(unknown.standardError.contains("no source \"nope\" in the configuration (known: scope-drop)"))
        let noOnce = try ProcessRunner.gateway(["sync", "--config", config, "--source", "scope-drop"])
        #expect(noOnce.status == 2)
        #expect(noOnce.standardError.contains("--once"))
    }
}
