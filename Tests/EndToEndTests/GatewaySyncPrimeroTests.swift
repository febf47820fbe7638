import Foundation
import PrimesModel
import TestSupport
import Testing

/// A `primero` source polled by `sync --once` against the Primero simulator over loopback TLS.
@Suite struct GatewaySyncPrimeroTests {
    @Test func theFirstPollTakesEveryCaseAndTheNextAsksOnlyForCasesUpdatedSinceTheCursor() throws {
        let simulator = try PrimeroSimulator()
        defer { simulator.stop() }
        // The simulator stamps seeded cases one second apart from 2026-01-01T00:00:01Z.
        simulator.seed(
            (1...20).map { ["unhcr_individual_no": .string(String(format: "TST-%08d", $0)), "sex": "female"] })
        let folder = try TemporaryDirectory()
        _ = try folder.write(
            "primero.yaml",
            """
            user: \(simulator.user)
            password: "\(simulator.password)"
            caCertificate: \(try TestCertificates.shared().caCertificate)
            """)
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
            routes:
              - from: primero-kakuma
                to: [drop]
            sources:
              - name: primero-kakuma
                kind: primero
                url: \(simulator.baseURL)
                credentials: primero.yaml
            """)
        let poll = ["sync", "--config", config, "--source", "primero-kakuma", "--once"]

        let first = try ProcessRunner.gateway(poll)
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput.contains("pulled since the beginning: 20 accepted (20 enqueued, 0 unchanged)"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path("delivered")).count == 20)

        // Every seeded case was updated before the cursor: the second poll asks from it and gets none.
        let listedBefore = simulator.counts.listed
        let second = try ProcessRunner.gateway(poll)
        #expect(second.status == 0, "\(second.standardError)")
        #expect(second.standardOutput.contains(": 0 accepted (0 enqueued, 0 unchanged)"), "\(second.standardOutput)")
        #expect(!second.standardOutput.contains("since the beginning"))
        #expect(simulator.counts.listed == listedBefore + 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path("delivered")).count == 20)
    }
}
