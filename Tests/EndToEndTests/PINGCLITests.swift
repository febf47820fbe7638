import Foundation
import PrimesModel
import TestSupport
import Testing

/// `primes-gateway` converting to and from `progres-ping-json`, run as a user would.
@Suite("CLI: progres-ping-json")
struct PINGCLITests {
    @Test("formats lists progres-ping-json as readable and writable, with its mapping")
    func formatIsListed() throws {
        let result = try ProcessRunner.gateway(["formats"])
        #expect(result.status == 0)
        let line = try #require(
            result.standardOutput.split(separator: "\n").first { $0.hasPrefix("progres-ping-json") })
        #expect(line.contains("progres/ping-v3.yaml"))
    }

    @Test(
        "the shared PING retrieval sample converts to valid canonical NDJSON, its other attributes kept",
        .enabled(if: RepositoryPaths.sharedStandards != nil, "needs ../shared/standards beside the repository")
    )
    func sharedSampleToCanonical() throws {
        let standards = try #require(RepositoryPaths.sharedStandards)
        let folder = try TemporaryDirectory()
        let result = try ProcessRunner.gateway([
            "convert", "--from", "progres-ping-json", "--to", "canonical", "--report", folder.path("report.json"),
            standards.appendingPathComponent("progres/progres_v4_ping_referral_retrieval_sample.json").path,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n")
        #expect(lines.count == 6)
        #expect(lines.filter { $0.contains("\"recordType\":\"person\"") }.count == 3)

        // What was written is itself valid canonical input.
        let check = try ProcessRunner.gateway(
            ["validate", "--format", "canonical", "-"], input: Data(result.standardOutput.utf8))
        #expect(check.status == 0, "\(check.standardError)")

        let report = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: folder.path("report.json"))))
        let kept = try #require((report as? [String: Any])?["keptInExtensions"] as? [String: Int])
        #expect(kept["progres_dtpdeliveryid"] == 3)
        #expect(kept["progres_lpintervention.int.progres_interventionnumber"] == 3)
        #expect(((report as? [String: Any])?["rejectedCount"] as? Int) == 0)
    }

    @Test("canonical → progres-ping-json → canonical keeps every field the mapping carries")
    func canonicalRoundTrip() throws {
        let fixture = RepositoryPaths.fixture("canonical/family-of-five.ndjson")
        let toPING = try ProcessRunner.gateway(["convert", "--from", "canonical", "--to", "progres-ping-json", fixture])
        #expect(toPING.status == 0, "\(toPING.standardError)")
        let back = try ProcessRunner.gateway(
            ["convert", "--from", "progres-ping-json", "--to", "canonical"], input: Data(toPING.standardOutput.utf8))
        #expect(back.status == 0, "\(back.standardError)")

        let original = try Self.persons(String(contentsOfFile: fixture, encoding: .utf8))
        let returned = try Self.persons(back.standardOutput)
        #expect(original.count == returned.count)
        for (before, after) in zip(original, returned) {
            for key in ["id", "sex", "name", "countryOfOrigin", "location", "specificNeeds"] {
                #expect(Self.mapped(before, key) == Self.mapped(after, key), "\(key) of \(before["id"] ?? "")")
            }
            #expect(
                (before["group"] as? [String: Any])?["id"] as? String == (after["group"] as? [String: Any])?["id"]
                    as? String)
            let birth = before["birthDate"] as? [String: Any]
            if birth?["precision"] as? String == "day" {
                #expect(Self.mapped(before, "birthDate") == Self.mapped(after, "birthDate"))
            } else {
                #expect(after["birthDate"] == nil, "a partial birth date must not come back padded")
            }
            // PING holds one phone, its primary one.
            let phones = { (person: [String: Any]) in
                (person["contacts"] as? [[String: Any]])?.filter { $0["kind"] as? String == "phone" }.map {
                    $0["value"] as? String
                }
            }
            #expect(phones(before)?.first == phones(after)?.first)
            let languages = (before["languages"] as? [[String: Any]])?.first?["code"] as? String
            #expect(languages == (after["languages"] as? [[String: Any]])?.first?["code"] as? String)
        }
    }

    @Test("pull ping follows every page of the simulator into canonical NDJSON, with mutual TLS")
    func pullFromSimulator() throws {
        let simulator = try PINGSimulator(requireClientCertificate: true)
        simulator.configure { behaviour in
            behaviour.pages = [
                [Self.row("KKM-00000001", group: "KKM-24-000101"), Self.row("KKM-00000002", group: "KKM-24-000101")],
                [Self.row("KKM-00000003", group: "KKM-24-000102")],
            ]
        }
        let certificates = try TestCertificates.shared()
        let folder = try TemporaryDirectory()
        let credentials = try folder.write(
            "ping.yaml",
            """
            token: \(PINGSimulator.token)
            partnerId: \(PINGSimulator.partnerId)
            shippingProcessId: SHP-1
            interopId: INT-1
            caCertificate: \(certificates.caCertificate)
            clientCertificate: \(certificates.clientCertificate)
            clientKey: \(certificates.clientKey)
            """)
        let result = try ProcessRunner.gateway([
            "pull", "ping", "--url", simulator.baseURL, "--credentials-file", credentials, "--since", "2026-01-01",
            "-o", folder.path("pulled.ndjson"),
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let lines = try String(contentsOfFile: folder.path("pulled.ndjson"), encoding: .utf8).split(separator: "\n")
        #expect(lines.filter { $0.contains("\"recordType\":\"person\"") }.count == 3)
        #expect(lines.filter { $0.contains("\"recordType\":\"group\"") }.count == 2)
        #expect(simulator.retrievalRequests.count == 2)
        let query = simulator.retrievalRequests.first.flatMap { request -> String? in
            guard case .object(let body) = request, case .object(let query)? = body["QueryParameters"] else {
                return nil
            }
            return query["ModifiedSince"]?.scalarText
        }
        #expect(query == "2026-01-01")
    }

    @Test("pull ping with a refused token exits 2 and never prints the token")
    func pullWithWrongToken() throws {
        let simulator = try PINGSimulator()
        simulator.configure { $0.pages = [[Self.row("KKM-00000001", group: "KKM-24-000101")]] }
        let folder = try TemporaryDirectory()
        let credentials = try folder.write(
            "ping.yaml",
            """
            token: wrong-secret-token
            partnerId: \(PINGSimulator.partnerId)
            caCertificate: \(try TestCertificates.shared().caCertificate)
            """)
        let result = try ProcessRunner.gateway([
            "pull", "ping", "--url", simulator.baseURL, "--credentials-file", credentials, "-o", folder.path("out"),
        ])
        #expect(result.status == 2)
        #expect(result.standardError.contains("PING refused the credentials (HTTP 401)"))
        #expect(!result.standardError.contains("wrong-secret-token"))
        #expect(!FileManager.default.fileExists(atPath: folder.path("out")))
    }

    static func row(_ id: String, group: String) -> JSONValue {
        .object([
            "progres_individual.indiv.progres_id": .string(id),
            "progres_individual.indiv.progres_sex": 125_080_001,
            "progres_individual.indiv.progres_registrationgroupid": "11111111-2222-3333-4444-555555555555",
            "progres_individual.progres_registrationgroupidname": .string(group),
        ])
    }

    static func persons(_ ndjson: String) throws -> [[String: Any]] {
        try ndjson.split(separator: "\n").compactMap { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["recordType"] as? String == "person" ? object : nil
        }
    }

    /// A field as sorted JSON text, so that nested values compare whole.
    static func mapped(_ person: [String: Any], _ key: String) -> String? {
        guard var value = person[key] else { return nil }
        if key == "name", var name = value as? [String: Any] {
            // PING has no field for a birth name; the report lists it as not held.
            name["birthName"] = nil
            value = name
        }
        guard JSONSerialization.isValidJSONObject([value]),
            let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys])
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
