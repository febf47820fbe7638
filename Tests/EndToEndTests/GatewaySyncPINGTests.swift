import Foundation
import PrimesModel
import TestSupport
import Testing

/// A `ping` source polled by `sync --once` against the PING simulator over loopback TLS: the first poll takes
/// everything, later ones ask from the cursor and enqueue only what changed.
@Suite struct GatewaySyncPINGTests {
    static func row(_ id: String, group: String, sex: Int = 125_080_001) -> JSONValue {
        .object([
            "progres_individual.indiv.progres_id": .string(id),
            "progres_individual.indiv.progres_sex": .number(Double(sex)),
            "progres_individual.indiv.progres_registrationgroupid": "11111111-2222-3333-4444-555555555555",
            "progres_individual.progres_registrationgroupidname": .string(group),
        ])
    }

    static func since(_ request: JSONValue?) -> String? {
        guard case .object(let body)? = request, case .object(let query)? = body["QueryParameters"] else { return nil }
        return query["ModifiedSince"]?.scalarText
    }

    @Test func laterPollsAskFromTheCursorAndEnqueueOnlyWhatChanged() throws {
        let simulator = try PINGSimulator()
        simulator.configure { behaviour in
            behaviour.pages = [
                [Self.row("KKM-00000001", group: "KKM-24-000101"), Self.row("KKM-00000002", group: "KKM-24-000101")],
                [Self.row("KKM-00000003", group: "KKM-24-000102")],
            ]
        }
        let folder = try TemporaryDirectory()
        _ = try folder.write(
            "ping.yaml",
            """
            token: \(PINGSimulator.token)
            partnerId: \(PINGSimulator.partnerId)
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
            sources:
              - name: ping-kakuma
                kind: ping
                url: \(simulator.baseURL)
                credentials: ping.yaml
                schedule: {interval: 15m}
                to: [drop]
            """)
        let poll = ["sync", "--config", config, "--source", "ping-kakuma", "--once"]

        let first = try ProcessRunner.gateway(poll)
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput.contains("pulled since the beginning: 5 accepted (5 enqueued, 0 unchanged)"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path("delivered")).count == 5)
        #expect(Self.since(simulator.retrievalRequests.first) == nil)

        let second = try ProcessRunner.gateway(poll)
        #expect(second.status == 0, "\(second.standardError)")
        #expect(second.standardOutput.contains("5 accepted (0 enqueued, 5 unchanged)"), "\(second.standardOutput)")
        let cursor = try #require(Self.since(simulator.retrievalRequests.last))
        #expect(second.standardOutput.contains("pulled since \(cursor):"))

        // One person's sex changes at PING: only that person is enqueued and delivered.
        simulator.configure { behaviour in
            behaviour.pages[1] = [Self.row("KKM-00000003", group: "KKM-24-000102", sex: 125_080_000)]
        }
        let third = try ProcessRunner.gateway(poll)
        #expect(third.status == 0, "\(third.standardError)")
        #expect(third.standardOutput.contains("5 accepted (1 enqueued, 4 unchanged)"), "\(third.standardOutput)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path("delivered")).count == 6)

        let status = try ProcessRunner.gateway(["sync", "status", "--config", config])
        #expect(status.standardOutput.contains("15 pulled, 6 enqueued, 9 unchanged, 0 rejected"))
        #expect(status.standardOutput.contains("; cursor 20"))
    }
}
