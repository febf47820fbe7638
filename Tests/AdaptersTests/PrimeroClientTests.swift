import Adapters
import Foundation
import HTTPClient
import PrimesModel
import TestSupport
import Testing

/// A synthetic person with a proGres-shaped individual id.
func syntheticPerson(_ number: Int) throws -> Person {
    Person(
        id: String(format: "TST-%08d", number),
        identifiers: [Identifier(scheme: "unhcr.progres.group", value: String(format: "TST-G-%06d", number / 4))],
        name: PersonName(given: "Given\(number)", family: "Family\(number % 97)"),
        sex: number % 2 == 0 ? "female" : "male",
        birthDate: try PartialDate(year: 2008 + number % 10, month: 1 + number % 12, day: 1 + number % 28),
        nationalities: ["SOM"],
        populationType: "REF",
        relationships: number % 3 == 0
            ? [Relationship(type: "mother", ref: String(format: "TST-%08d", number + 1))] : []
    )
}

let seedMapping: PrimeroMapping = {
    do {
        return try PrimeroMapping(TestEnvironment.adapters.mappings.load("primero/primero-v2-seed.yaml"))
    } catch {
        fatalError("the seed mapping does not load: \(error)")
    }
}()

func primeroClient(
    _ simulator: PrimeroSimulator,
    password: String? = nil,
    mapping: PrimeroMapping = seedMapping,
    looksUp: Bool = true
) throws -> PrimeroClient {
    let credentials = PrimeroCredentials.basic(
        user: simulator.user,
        password: password ?? simulator.password,
        caCertificatePath: try TestCertificates.shared().caCertificate
    )
    return PrimeroClient(
        baseURL: simulator.baseURL, credentials: credentials, mapping: mapping, timeoutSeconds: 10,
        looksUpBeforeCreating: looksUp)
}

func deliver(_ client: PrimeroClient, _ person: Person) -> DeliveryResult {
    client.deliver(.person(person), context: DeliveryContext(idempotencyKey: person.id ?? "none"))
}

@Suite("Primero client against the simulator", .serialized)
struct PrimeroClientTests {
    @Test("pushing the same 1,000 persons twice creates 1,000 cases, then changes nothing")
    func idempotentPush() throws {
        let simulator = try PrimeroSimulator()
        let client = try primeroClient(simulator)
        let persons = try (1...1000).map(syntheticPerson)

        let first = persons.map { deliver(client, $0) }
        #expect(
            first.allSatisfy { if case .delivered = $0 { true } else { false } },
            "\(first.first ?? .delivered(remoteId: nil))")
        #expect(simulator.caseCount == 1000 && simulator.counts.created == 1000)

        let second = persons.map { deliver(client, $0) }
        #expect(second.allSatisfy { if case .unchanged = $0 { true } else { false } })
        #expect(simulator.caseCount == 1000)
        #expect(simulator.counts.created == 1000 && simulator.counts.conflicts == 0 && simulator.counts.patched == 0)

        let expectedId = seedMapping.caseId(forIndividual: "TST-00000007")
        #expect(first[6] == .delivered(remoteId: expectedId))
        #expect(simulator.storedCase(expectedId)?["unhcr_individual_no"] == "TST-00000007")
    }

    @Test("without the lookup, a repeat POST meets 409 and becomes an update of the same case")
    func conflictBecomesUpdate() throws {
        let simulator = try PrimeroSimulator()
        let client = try primeroClient(simulator, looksUp: false)
        let persons = try (1...20).map(syntheticPerson)
        _ = persons.map { deliver(client, $0) }
        var changed = persons[4]
        changed.name?.given = "Renamed"
        let results = (persons.prefix(4) + [changed]).map { deliver(client, $0) }
        #expect(simulator.counts.conflicts == 5 && simulator.counts.created == 20)
        #expect(results.prefix(4).allSatisfy { if case .unchanged = $0 { true } else { false } })
        #expect(results.last == .delivered(remoteId: seedMapping.caseId(forIndividual: "TST-00000005")))
        #expect(simulator.patchedKeys == [["name_first"]])
    }

    @Test("a changed record PATCHes only the fields that changed, never a forbidden key")
    func patchOnlyChanges() throws {
        let simulator = try PrimeroSimulator()
        let client = try primeroClient(simulator)
        var person = try syntheticPerson(3)
        _ = deliver(client, person)
        person.name?.family = "Newfamily"
        person.contacts = [Contact(kind: "phone", value: "+254700000003")]
        person.relationships.append(Relationship(type: "father", ref: "TST-00000099"))
        let result = deliver(client, person)
        #expect(result == .delivered(remoteId: seedMapping.caseId(forIndividual: "TST-00000003")))
        #expect(simulator.patchedKeys == [["family_details_section", "name_last", "telephone_current"]])
        let stored = try #require(simulator.storedCase(seedMapping.caseId(forIndividual: "TST-00000003")))
        guard case .array(let rows)? = stored["family_details_section"] else {
            Issue.record("no family rows stored")
            return
        }
        #expect(rows.count == 2)
    }

    @Test("an unknown field never reaches the server: the record is refused with the reason")
    func unknownFieldStaysHome() throws {
        let simulator = try PrimeroSimulator()
        let client = try primeroClient(simulator)
        var person = try syntheticPerson(5)
        person.extensions = ["unicef.primero": ["favourite_colour_3fa9": "blue"]]
        let result = deliver(client, person)
        guard case .permanent(_, let details) = result else {
            Issue.record("expected a permanent failure, got \(result)")
            return
        }
        #expect(details.contains { $0.contains("extensions.unicef.primero.favourite_colour_3fa9") })
        #expect(simulator.counts == PrimeroSimulator.Counts())
    }

    @Test("a 401 stops the client at once with a clear message, and later deliveries send nothing")
    func unauthorisedStops() throws {
        let simulator = try PrimeroSimulator()
        let client = try primeroClient(simulator, password: "wrong")
        let results = try (1...10).map { deliver(client, try syntheticPerson($0)) }
        guard case .authenticationFailed(let reason) = results[0] else {
            Issue.record("expected authenticationFailed, got \(results[0])")
            return
        }
        #expect(reason.contains("401") && reason.contains("lock"))
        #expect(results.allSatisfy { $0 == results[0] })
        #expect(simulator.counts.refused401 == 1)
        #expect(!simulator.isLocked)
    }

    @Test("the simulator locks an account after six failed sign-ins, as Primero does")
    func lockout() throws {
        let simulator = try PrimeroSimulator()
        for _ in 1...6 { _ = deliver(try primeroClient(simulator, password: "wrong"), try syntheticPerson(1)) }
        #expect(simulator.isLocked)
        #expect(
            deliver(try primeroClient(simulator), try syntheticPerson(1))
                == .authenticationFailed(
                    reason: PrimeroClientError.authenticationFailed.description))
    }

    @Test("a 422 is permanent and carries Primero's JSON pointers")
    func schemaRefusal() throws {
        let folder = try TemporaryDirectory()
        let instance = try folder.write(
            "instance.yaml",
            """
            mapping: primero-instance-extra
            formats: [primero-json]
            extends: \(RepositoryPaths.mappings.path)/primero/primero-v2-seed.yaml
            fields:
              - {id: favourite, field: favourite_colour_3fa9, type: text}
            """
        )
        let mapping = try PrimeroMapping(TestEnvironment.adapters.mappings.load(instance))
        let simulator = try PrimeroSimulator()
        var person = try syntheticPerson(8)
        person.extensions = ["unicef.primero": ["favourite_colour_3fa9": "blue"]]
        let result = deliver(try primeroClient(simulator, mapping: mapping), person)
        #expect(result == .permanent(reason: "Primero answered 422", details: ["/data/favourite_colour_3fa9"]))
        #expect(simulator.counts.refused422 == 1 && simulator.caseCount == 0)
    }

    @Test("a 503 is retryable after the Retry-After the server asked for")
    func unavailable() throws {
        let simulator = try PrimeroSimulator()
        simulator.beUnavailable(for: 1)
        let client = try primeroClient(simulator)
        #expect(
            deliver(client, try syntheticPerson(2)) == .retryable(reason: "Primero answered 503", retryAfterSeconds: 1))
        #expect(
            deliver(client, try syntheticPerson(2))
                == .delivered(remoteId: seedMapping.caseId(forIndividual: "TST-00000002")))
    }

    @Test("an unreachable server gives a retryable result")
    func unreachable() throws {
        let credentials = PrimeroCredentials.basic(user: "u", password: "p")
        let client = PrimeroClient(
            baseURL: "https://127.0.0.1:1", credentials: credentials, mapping: seedMapping, timeoutSeconds: 2)
        guard case .retryable = deliver(client, try syntheticPerson(2)) else {
            Issue.record("a refused connection should be retryable")
            return
        }
    }

    @Test("a server that does not answer in time gives a retryable result")
    func timeout() throws {
        let simulator = try PrimeroSimulator()
        // Stopping here waits for the slow answer, so that the simulator is not released on a server thread.
        defer { simulator.stop() }
        simulator.beSlow(for: 1, seconds: 3)
        let credentials = PrimeroCredentials.basic(
            user: simulator.user, password: simulator.password,
            caCertificatePath: try TestCertificates.shared().caCertificate)
        let client = PrimeroClient(
            baseURL: simulator.baseURL, credentials: credentials, mapping: seedMapping, timeoutSeconds: 1)
        let result = deliver(client, try syntheticPerson(2))
        guard case .retryable(let reason, _) = result else {
            Issue.record("a timeout should be retryable, got \(result)")
            return
        }
        #expect(reason.contains("timed out"))
        // The lookup's URL carries the individual number: it never reaches a message.
        #expect(!reason.contains("TST-00000002"))
    }

    @Test("the lookup checks the returned value and refuses several matches")
    func lookupSafety() throws {
        let simulator = try PrimeroSimulator()
        simulator.seed([
            ["unhcr_individual_no": "TST-00000050", "sex": "male"],
            ["unhcr_individual_no": "TST-00000050", "sex": "male"],
            ["unhcr_individual_no": "TST-00000051", "record_state": false], ["unhcr_individual_no": "TST-00000052"],
        ])
        let client = try primeroClient(simulator)
        #expect(throws: PrimeroClientError.severalMatches(count: 2)) {
            try client.findCase(individualNumber: "TST-00000050")
        }
        #expect(try client.findCase(individualNumber: "TST-00000051") == nil)
        #expect(try client.findCase(individualNumber: "TST-00000052") != nil)
        guard case .permanent = deliver(client, try syntheticPerson(50)) else {
            Issue.record("several matches must not be delivered")
            return
        }

        simulator.hideFields(["unhcr_individual_no"])
        #expect(throws: PrimeroClientError.filterIgnored(field: "unhcr_individual_no")) {
            try client.findCase(individualNumber: "TST-00000052")
        }
    }

    @Test("a pull follows the pages to the end: 2,500 cases give 2,500 records")
    func pullEverything() throws {
        let simulator = try PrimeroSimulator()
        simulator.seed(
            (1...2500).map { ["unhcr_individual_no": .string(String(format: "TST-%08d", $0)), "sex": "female"] })
        let client = try primeroClient(simulator)
        var pages = 0
        var records = 0
        let read = try client.pullCases { page in
            pages += 1
            let reader = PrimeroReader(source: MemoryInput(page), mapping: seedMapping)
            while let item = try reader.next() {
                if case .record = item { records += 1 }
            }
        }
        #expect(read == 2500 && records == 2500 && pages == 3)
    }

    @Test("a bearer token signs in to an SSO instance")
    func bearer() throws {
        let simulator = try PrimeroSimulator()
        let credentials = PrimeroCredentials.bearer(
            simulator.bearerToken, caCertificatePath: try TestCertificates.shared().caCertificate)
        let client = PrimeroClient(baseURL: simulator.baseURL, credentials: credentials, mapping: seedMapping)
        #expect(
            deliver(client, try syntheticPerson(4))
                == .delivered(remoteId: seedMapping.caseId(forIndividual: "TST-00000004")))
    }

    @Test("a client built from a destination's settings loads the mapping and delivers")
    func fromDestinationSettings() throws {
        let simulator = try PrimeroSimulator()
        let client = try PrimeroClient(
            baseURL: simulator.baseURL,
            authorization: .basic(user: simulator.user, password: simulator.password),
            caCertificatePath: try TestCertificates.shared().caCertificate,
            mapping: "primero/primero-v2-seed.yaml",
            environment: TestEnvironment.adapters
        )
        #expect(client.mapping.module == "primeromodule-cp")
        #expect(
            deliver(client, try syntheticPerson(6))
                == .delivered(remoteId: seedMapping.caseId(forIndividual: "TST-00000006")))
    }

    @Test("a server signed by an unknown CA is refused, permanently")
    func untrustedServer() throws {
        let simulator = try PrimeroSimulator()
        let credentials = PrimeroCredentials.basic(
            user: simulator.user, password: simulator.password,
            caCertificatePath: try TestCertificates.shared().otherCACertificate)
        let client = PrimeroClient(baseURL: simulator.baseURL, credentials: credentials, mapping: seedMapping)
        guard case .permanent = deliver(client, try syntheticPerson(4)) else {
            Issue.record("an untrusted server must not be retried as if it were down")
            return
        }
        #expect(simulator.counts == PrimeroSimulator.Counts())
    }
}
