import Foundation
import TestSupport
import Testing

/// A PING retrieval converted straight into another partner's format, through the canonical model.
@Suite("CLI: PING retrieval to other partners")
struct PINGToPartnersTests {
    /// The formats the built executable can write, read from `formats`.
    static let writable: Set<String> = {
        guard let result = try? ProcessRunner.gateway(["formats"]) else { return [] }
        return Set(
            result.standardOutput.split(separator: "\n").dropFirst().compactMap { line in
                let columns = line.split(separator: " ", omittingEmptySubsequences: true)
                return columns.count > 2 && columns[2] == "yes" ? String(columns[0]) : nil
            })
    }()

    @Test(
        "the shared PING sample becomes Primero case bodies carrying the proGres individual and group numbers",
        .enabled(if: RepositoryPaths.sharedStandards != nil, "needs ../shared/standards beside the repository"),
        .enabled(if: writable.contains("primero-json"), "the primero-json adapter is not in this build")
    )
    func pingToPrimero() throws {
        let standards = try #require(RepositoryPaths.sharedStandards)
        let sample = standards.appendingPathComponent("progres/progres_v4_ping_referral_retrieval_sample.json")
        let result = try ProcessRunner.gateway([
            "convert", "--from", "progres-ping-json", "--to", "primero-json", sample.path,
        ])
        #expect(result.status == 0, "\(result.standardError)")

        let rows = try #require(
            (try JSONSerialization.jsonObject(with: Data(contentsOf: sample)) as? [String: Any])?["Data"]
                as? [[String: Any]])
        let cases = result.standardOutput.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["data"] as? [String: Any]
        }
        try #require(cases.count == rows.count)
        for (row, body) in zip(rows, cases) {
            #expect(body["unhcr_individual_no"] as? String == row["progres_individual.indiv.progres_id"] as? String)
            #expect(
                body["unhcr_id_no"] as? String == row["progres_individual.progres_registrationgroupidname"] as? String)
            #expect(body["sex"] as? String == "female")
        }
    }
}
