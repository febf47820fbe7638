import Foundation
import TestSupport
import Testing

/// `push` and `outbox` through the real executable, into a `file` destination.
@Suite struct GatewayPushTests {
    static func configuration(in folder: TemporaryDirectory) throws -> String {
        let agreement = RepositoryPaths.mappings.appendingPathComponent("agreements/sample-case-referral.yaml").path
        return try folder.write(
            "gateway.yaml",
            """
            store: sqlite:outbox.sqlite
            destinations:
              - name: drop
                kind: file
                directory: drop
                format: canonical
                agreement: \(agreement)
              - name: unagreed
                kind: file
                directory: unagreed
                format: canonical
            routes:
              - from: canonical
                to: [drop]
            """)
    }

    @Test func pushDeliversAFileOnceAndAgainOnlyWhatChanged() throws {
        let folder = try TemporaryDirectory()
        let config = try Self.configuration(in: folder)
        let fixture = RepositoryPaths.fixture("canonical/family-of-five.ndjson")
        let first = try ProcessRunner.gateway([
            "push", "--config", config, "--destination", "drop", "--from", "canonical", fixture,
        ])
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput.contains("6 accepted, 0 rejected; to drop: 6 delivered (0 unchanged)"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path("drop")).count == 6)

        let second = try ProcessRunner.gateway([
            "push", "--config", config, "--destination", "drop", "--from", "canonical", fixture,
        ])
        #expect(second.standardOutput.contains("6 delivered (6 unchanged)"))

        let status = try ProcessRunner.gateway(["outbox", "status", "--config", config])
        #expect(status.standardOutput.contains("drop"))
        #expect(status.standardOutput.contains("delivered   12"))
    }

    @Test func everyRecordSentIsInTheLedgerAndATamperedLedgerIsCaught() throws {
        let folder = try TemporaryDirectory()
        let config = try Self.configuration(in: folder)
        let fixture = RepositoryPaths.fixture("canonical/family-of-five.ndjson")
        for _ in 0..<2 {
            let push = try ProcessRunner.gateway([
                "push", "--config", config, "--destination", "drop", "--from", "canonical", fixture,
            ])
            #expect(push.status == 0, "\(push.standardError)")
        }
        // The second push sent nothing: every record was unchanged.
        let check = try ProcessRunner.gateway(["outbox", "ledger", "--config", config])
        #expect(check.status == 0, "\(check.standardError)")
        #expect(check.standardOutput.contains("6 entries, chain intact"))

        let ledger = folder.path("ledger/ledger-1.jsonl")
        let text = try String(contentsOfFile: ledger, encoding: .utf8)
        #expect(text.contains(#""agreement":"sample-case-referral""#))
        #expect(text.contains(#""name.given","name.family""#))
        #expect(!text.contains("Testchild") && !text.contains("1990"))
        try text.replacingOccurrences(of: #""destination":"drop""#, with: #""destination":"elsewhere""#)
            .write(toFile: ledger, atomically: true, encoding: .utf8)
        let tampered = try ProcessRunner.gateway(["outbox", "ledger", "--config", config])
        #expect(tampered.status == 1)
        #expect(tampered.standardOutput.contains("BROKEN at line 1"))
    }

    @Test func aDestinationWithoutAnAgreementGetsNothingAndSaysSo() throws {
        let folder = try TemporaryDirectory()
        let config = try Self.configuration(in: folder)
        let fixture = RepositoryPaths.fixture("canonical/stateless-person.ndjson")
        let result = try ProcessRunner.gateway([
            "push", "--config", config, "--destination", "unagreed", "--from", "canonical", fixture,
        ])
        #expect(result.status == 1)
        #expect(result.standardError.contains("destination.no_agreement destination=unagreed"))
        let sent = (try? FileManager.default.contentsOfDirectory(atPath: folder.path("unagreed"))) ?? []
        #expect(sent.isEmpty)

        let letters = try ProcessRunner.gateway(["outbox", "dead-letters", "--config", config])
        #expect(letters.standardOutput.contains("no data-sharing agreement"))
        let id = try #require(letters.standardOutput.split(separator: "\t").first.map(String.init))
        let replay = try ProcessRunner.gateway(["outbox", "replay", id, "--config", config])
        #expect(replay.status == 0)
        #expect(
            try ProcessRunner.gateway(["outbox", "dead-letters", "--config", config]).standardOutput
                == "no dead letters\n")

        // Pushed again, the replayed delivery and the new one are dead again; dismissed, each is closed.
        _ = try ProcessRunner.gateway([
            "push", "--config", config, "--destination", "unagreed", "--from", "canonical", fixture,
        ])
        let again = try ProcessRunner.gateway(["outbox", "dead-letters", "--config", config]).standardOutput
        let ids = again.split(separator: "\n").compactMap { $0.split(separator: "\t").first.map(String.init) }
            .filter { Int($0) != nil }
        #expect(ids.count == 2)
        for id in ids {
            let dismiss = try ProcessRunner.gateway(["outbox", "dismiss", id, "--config", config])
            #expect(dismiss.status == 0)
            #expect(dismiss.standardOutput.contains("dismissed"))
        }
        #expect(try ProcessRunner.gateway(["outbox", "dismiss", ids[0], "--config", config]).status == 1)
        let status = try ProcessRunner.gateway(["outbox", "status", "--config", config]).standardOutput
        #expect(status.contains("dismissed"))
        #expect(
            try ProcessRunner.gateway(["outbox", "dead-letters", "--config", config]).standardOutput
                == "no dead letters\n")
    }

    @Test func aBadConfigurationNamesFileLineAndKey() throws {
        let folder = try TemporaryDirectory()
        let config = try folder.write(
            "bad.yaml", "store: sqlite:o.sqlite\nroutes:\n  - from: canonical\n    too: [x]\n")
        let result = try ProcessRunner.gateway(["outbox", "status", "--config", config])
        #expect(result.status == 2)
        #expect(result.standardError.contains("bad.yaml:4: routes[0].too: unknown key"))
    }
}
