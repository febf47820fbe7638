import Foundation
import PrimesModel
import TestSupport
import Testing

/// The whole sync loop through `primes-gateway serve`, over loopback TLS with the PING and Primero
/// simulators: registrations flow from PING to Primero, caseworkers' decisions flow back from Primero to
/// PING as partial updates, the gateway's own writes coming back are not sent again, a daemon killed in the
/// middle of a poll loses and repeats nothing, and a dropped SCOPE file is delivered.
@Suite(.serialized) struct GatewaySyncScenarioTests {
    static let individuals = 2000
    static let changedAtPING = 50
    static let token = "scenario-token-not-secret"

    static func individual(_ number: Int) -> String {
        String(format: "KKM-%08d", number)
    }

    static func phone(_ number: Int, version: Int = 0) -> String {
        String(format: "+2547%02d%06d", version, number)
    }

    /// A PING retrieval row for individual `number`, as proGres returns it.
    static func row(_ number: Int, phone: String) -> JSONValue {
        .object([
            "progres_individual.indiv.progres_id": .string(individual(number)),
            "progres_individual.indiv.progres_givenname": .string("Given\(number)"),
            "progres_individual.indiv.progres_familyname": "Testperson",
            "progres_individual.indiv.progres_sex": .number(Double(number % 2 == 0 ? 125_080_000 : 125_080_001)),
            "progres_individual.indiv.progres_dateofbirth": .string(
                String(format: "19%02d-%02d-%02dT00:00:00", 60 + number % 40, 1 + number % 12, 1 + number % 28)),
            "progres_individual.indiv.progres_primaryphonenumber": .string(phone),
            "progres_individual.indiv.progres_registrationgroupid": "11111111-2222-3333-4444-555555555555",
            "progres_individual.progres_registrationgroupidname": .string(String(format: "KKM-24-%06d", number)),
        ])
    }

    /// The simulator's pages: `rows` in pages of 500.
    static func pages(_ rows: [JSONValue]) -> [[JSONValue]] {
        stride(from: 0, to: rows.count, by: 500).map { Array(rows[$0..<min($0 + 500, rows.count)]) }
    }

    static func configuration(ping: PINGSimulator, primero: PrimeroSimulator, in folder: TemporaryDirectory) throws
        -> String
    {
        let certificates = try TestCertificates.shared()
        _ = try folder.write("ping-token", PINGSimulator.token + "\n")
        _ = try folder.write("primero-password", primero.password + "\n")
        _ = try folder.write(
            "ping.yaml",
            "token: \(PINGSimulator.token)\npartnerId: \(PINGSimulator.partnerId)\n"
                + "caCertificate: \(certificates.caCertificate)\n")
        _ = try folder.write(
            "primero.yaml",
            "user: \(primero.user)\npassword: \"\(primero.password)\"\ncaCertificate: \(certificates.caCertificate)\n")
        _ = try folder.write(
            "to-primero.yaml",
            """
            agreement: scenario-case-management
            version: 1
            fields: [id, "identifiers[scheme=unhcr.progres.individual].value", name.given, name.family, sex,
              birthDate, contacts, group]
            """)
        _ = try folder.write(
            "decisions-to-ping.yaml",
            "agreement: scenario-decisions\nversion: 1\nfields: [id, contacts, specificNeeds]\n")
        try FileManager.default.createDirectory(atPath: folder.path("incoming"), withIntermediateDirectories: true)
        // Payloads encrypted and the sources' field hashes keyed, as a deployment with a store key runs.
        let storeKey = try folder.write("store.key", String(repeating: "5c", count: 32) + "\n")
        return try folder.write(
            "gateway.yaml",
            """
            listeners:
              - host: 127.0.0.1
                port: 0
                tls: {certificate: \(certificates.serverCertificate), key: \(certificates.serverKey)}
            store: sqlite:outbox.sqlite
            storeKey: {file: \(storeKey)}
            clients:
              - name: office
                tokenHashes: [sha256:\(GatewayServeTests.sha256(token))]
                formats: [canonical]
            destinations:
              - name: primero-kakuma
                kind: primero
                url: \(primero.baseURL)
                caCertificate: \(certificates.caCertificate)
                auth: {basic: {user: \(primero.user), password: {file: primero-password}}}
                format: primero-json
                agreement: to-primero.yaml
              - name: ping-kakuma
                kind: ping
                url: \(ping.baseURL)
                caCertificate: \(certificates.caCertificate)
                auth: {bearer: {file: ping-token}}
                ping: {partnerId: \(PINGSimulator.partnerId)}
                format: progres-ping-json
                agreement: decisions-to-ping.yaml
              - name: case-drop
                kind: file
                directory: case-drop
                format: canonical
                agreement: \(RepositoryPaths.mappings.appendingPathComponent("agreements/sample-case-referral.yaml").path)
            sources:
              - name: ping-registrations
                kind: ping
                url: \(ping.baseURL)
                credentials: ping.yaml
                schedule: {interval: 2s}
                to: [primero-kakuma]
              - name: primero-cases
                kind: primero
                url: \(primero.baseURL)
                credentials: primero.yaml
                schedule: {interval: 2s}
                to: [ping-kakuma]
              - name: scope-drop
                kind: directory
                path: incoming
                format: scope-csv
                schedule: {interval: 1s}
                to: [case-drop]
            delivery:
              workers: 2
              leaseSeconds: 5
              claimSize: 64
              pollSeconds: 0.05
            """)
    }

    /// Each source's counters, from `sync status --json` on the daemon's store.
    static func sourceStatus(_ config: String) throws -> [String: [String: Any]] {
        let status = try ProcessRunner.gateway(["sync", "status", "--config", config, "--json"])
        let rows = (try? JSONSerialization.jsonObject(with: Data(status.standardOutput.utf8)) as? [[String: Any]]) ?? []
        return Dictionary(rows.compactMap { row in (row["source"] as? String).map { ($0, row) } }) { first, _ in first }
    }

    /// A source's counters as text, for a failed expectation's message.
    static func describe(_ config: String, _ source: String) -> Comment {
        Comment(rawValue: "\((try? sourceStatus(config))?[source] ?? [:])")
    }

    static func count(_ config: String, _ source: String, _ counter: String) throws -> Int {
        try sourceStatus(config)[source]?[counter] as? Int ?? -1
    }

    /// Waits until the PING source has completed `polls` more polls than `before` (each poll reads every page).
    static func waitForPolls(_ ping: PINGSimulator, after before: Int, polls: Int, pages: Int) -> Bool {
        eventually(within: 60) { ping.retrievalRequests.count >= before + polls * pages }
    }

    @Test func pingAndPrimeroStayInStepBothWaysThroughACrash() throws {
        let ping = try PINGSimulator()
        let primero = try PrimeroSimulator(wallClock: true)
        defer { primero.stop() }
        var rows = (1...Self.individuals).map { Self.row($0, phone: Self.phone($0)) }
        let pageCount = Self.pages(rows).count
        ping.configure { behaviour in
            behaviour.pages = Self.pages(rows)
            behaviour.pageDelaySeconds = 0.5
        }
        let folder = try TemporaryDirectory()
        let config = try Self.configuration(ping: ping, primero: primero, in: folder)

        // 1. The daemon is killed while the first poll is between its pages: nothing was committed, so
        //    nothing reached Primero.
        let first = try GatewayDaemon(config: config)
        #expect(eventually(within: 30) { ping.retrievalRequests.count >= 2 }, "the first poll did not start")
        first.crash()
        #expect(ping.retrievalRequests.count < pageCount, "the kill came after the poll; the test proves nothing")
        #expect(primero.counts.created == 0)

        // 2. Restarted, the daemon polls again from the beginning: every individual becomes one case, once.
        ping.configure { $0.pageDelaySeconds = 0 }
        let daemon = try GatewayDaemon(config: config)
        defer { daemon.stop() }
        #expect(
            eventually(within: 180) { primero.caseCount == Self.individuals },
            "\(primero.caseCount) cases\n\(daemon.log.suffix(2000))")
        // The Primero source pulls the cases the gateway created and recognises every one as its own write.
        #expect(
            try eventually(within: 60) { try Self.count(config, "primero-cases", "recordsEchoed") == Self.individuals },
            Self.describe(config, "primero-cases"))
        #expect(primero.counts.created == Self.individuals)
        #expect(primero.counts.conflicts == 0)
        #expect(primero.counts.patched == 0)
        #expect(ping.ingestedItems.isEmpty, "the gateway's own cases were sent back to PING")

        // 3. Fifty individuals get a new phone number at PING: only those fifty cases are PATCHed, each with
        //    its phone number alone.
        let changed = Array(stride(from: 7, to: Self.individuals, by: Self.individuals / Self.changedAtPING))
            .prefix(Self.changedAtPING)
        #expect(changed.count == Self.changedAtPING)
        for number in changed { rows[number - 1] = Self.row(number, phone: Self.phone(number, version: 1)) }
        ping.configure { $0.pages = Self.pages(rows) }
        #expect(
            eventually(within: 60) { primero.counts.patched >= Self.changedAtPING }, "\(primero.counts.patched)")
        // The PATCHes come back through the Primero source as the gateway's own writes.
        #expect(
            try eventually(within: 60) {
                try Self.count(config, "primero-cases", "recordsEchoed") == Self.individuals + Self.changedAtPING
            }, Self.describe(config, "primero-cases"))
        let afterPatches = ping.retrievalRequests.count
        #expect(Self.waitForPolls(ping, after: afterPatches, polls: 2, pages: pageCount))
        #expect(primero.counts.patched == Self.changedAtPING)
        #expect(primero.patchedKeys.allSatisfy { $0 == ["telephone_current"] }, "\(Set(primero.patchedKeys))")
        #expect(primero.counts.created == Self.individuals)
        #expect(ping.ingestedItems.isEmpty)

        // 4. A caseworker records a new phone number in Primero: PING receives an ingestion of the key and
        //    that field only.
        let decided = 100
        let caseId = try #require(primero.caseIds(individual: Self.individual(decided)).first)
        primero.amend(caseId, ["telephone_current": .string(Self.phone(decided, version: 2))])
        #expect(eventually(within: 60) { !ping.ingestedItems.isEmpty }, "no ingestion reached PING")
        let items = ping.ingestedItems
        #expect(items.count == 1)
        let fields = PINGClientTestsSupport.fields(of: items.first)
        #expect(fields.map(\.name) == ["progres_id", "progres_primaryphonenumber"])
        #expect(fields.first?.value == Self.individual(decided))
        #expect(fields.last?.value == Self.phone(decided, version: 2))

        // 5. proGres applies the update; the PING source pulls it back as the gateway's own write and sends
        //    nothing to Primero.
        let echoesAtPING = try Self.count(config, "ping-registrations", "recordsEchoed")
        rows[decided - 1] = Self.row(decided, phone: Self.phone(decided, version: 2))
        ping.configure { $0.pages = Self.pages(rows) }
        #expect(
            try eventually(within: 60) { try Self.count(config, "ping-registrations", "recordsEchoed") > echoesAtPING })
        let afterDecision = ping.retrievalRequests.count
        #expect(Self.waitForPolls(ping, after: afterDecision, polls: 2, pages: pageCount))
        #expect(primero.counts.patched == Self.changedAtPING)
        #expect(ping.ingestedItems.count == 1)

        // 6. A SCOPE export dropped into the directory source becomes deliveries; the file moves to done/.
        let csv = try String(contentsOfFile: RepositoryPaths.fixture("scope/households.csv"), encoding: .utf8)
        _ = try folder.write("incoming/.households.csv.part", csv)
        try FileManager.default.moveItem(
            atPath: folder.path("incoming/.households.csv.part"), toPath: folder.path("incoming/households.csv"))
        #expect(
            eventually(within: 60) {
                FileManager.default.fileExists(atPath: folder.path("incoming/done/households.csv"))
            })
        #expect(try Self.count(config, "scope-drop", "recordsEnqueued") == 14)
        #expect(
            eventually(within: 60) {
                (try? FileManager.default.contentsOfDirectory(atPath: folder.path("case-drop")).count) == 14
            })

        daemon.stop()
        #expect(primero.caseCount == Self.individuals)
        #expect(primero.counts.created == Self.individuals)
    }
}

/// Reads the `Fields` of a captured PING ingestion item.
enum PINGClientTestsSupport {
    static func fields(of item: JSONValue?) -> [(name: String, value: String?)] {
        guard case .object(let object)? = item, case .array(let fields)? = object["Fields"] else { return [] }
        return fields.compactMap { field in
            guard case .object(let pair) = field, let name = pair["Name"]?.scalarText else { return nil }
            return (name, pair["Value"]?.scalarText)
        }
    }
}
