import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `sync --once` killed with SIGKILL in the middle of a directory of files, then run again: every record is
/// enqueued exactly once and every file ends in `done/`.
@Suite struct GatewaySyncCrashTests {
    static let files = 300

    @Test func aPollKilledHalfwayLosesNothingAndEnqueuesNothingTwice() throws {
        let folder = try TemporaryDirectory()
        let config = try folder.write(
            "gateway.yaml",
            """
            store: sqlite:outbox.sqlite
            destinations:
              - name: drop
                kind: file
                directory: delivered
                format: canonical
                agreement: \(RepositoryPaths.mappings.appendingPathComponent("agreements/sample-case-referral.yaml").path)
            sources:
              - name: scope-drop
                kind: directory
                path: incoming
                format: scope-csv
                to: [drop]
            """)
        try FileManager.default.createDirectory(atPath: folder.path("incoming"), withIntermediateDirectories: true)
        let csv = try String(contentsOfFile: RepositoryPaths.fixture("scope/households.csv"), encoding: .utf8)
        // Every file holds other households and people: the same rows under identifiers of its own.
        for index in 0..<Self.files {
            let tag = String(format: "%04d", index)
            let text = csv.replacingOccurrences(of: "KAK-", with: "K\(tag)-")
                .replacingOccurrences(of: "SC-9", with: "SC-\(tag)")
            _ = try folder.write(String(format: "incoming/export-%04d.csv", index), text)
        }
        let recordsPerFile = 14

        let process = Process()
        process.executableURL = RepositoryPaths.executable
        process.arguments = ["sync", "--config", config, "--source", "scope-drop", "--once"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let done = folder.path("incoming/done")
        let deadline = Date().addingTimeInterval(60)
        var doneBeforeKill = 0
        while process.isRunning && Date() < deadline {
            doneBeforeKill = (try? FileManager.default.contentsOfDirectory(atPath: done).count) ?? 0
            if doneBeforeKill >= 10 { break }
            Thread.sleep(forTimeInterval: 0.002)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // The kill came halfway through the folder, not after the end.
        #expect(doneBeforeKill >= 10)
        #expect(try FileManager.default.contentsOfDirectory(atPath: done).count < Self.files)

        let again = try ProcessRunner.gateway(["sync", "--config", config, "--source", "scope-drop", "--once"])
        #expect(again.status == 0, "\(again.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: done).count == Self.files)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: folder.path("incoming")).sorted() == [
                "done", "rejected",
            ])

        let outbox = try ProcessRunner.gateway(["outbox", "status", "--config", config])
        let expected = Self.files * recordsPerFile
        let lines: [[String]] = outbox.standardOutput.split(separator: "\n").map { line in
            line.split(separator: " ").map(String.init)
        }
        #expect(lines == [["drop", "delivered", String(expected)]], "\(outbox.standardOutput)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path("delivered")).count == expected)
        let status = try ProcessRunner.gateway(["sync", "status", "--config", config, "--json"])
        let rows = try #require(
            try JSONSerialization.jsonObject(with: Data(status.standardOutput.utf8)) as? [[String: Any]])
        #expect(rows.first?["recordsEnqueued"] as? Int == expected)
        #expect(rows.first?["filesProcessed"] as? Int == Self.files)
    }
}
