import Adapters
import Foundation
import Gateway
import PrimesModel
import TestSupport
import Testing

@Suite("A primero destination in the configuration")
struct PrimeroDestinationKindTests {
    private func configuration(_ simulator: PrimeroSimulator, folder: TemporaryDirectory, auth: String) throws
        -> GatewayConfiguration
    {
        _ = try folder.write("primero-password", simulator.password + "\n")
        let certificates = try TestCertificates.shared()
        let text = """
            store: sqlite:\(folder.path("outbox.sqlite"))
            destinations:
              - name: primero-cp
                kind: primero
                url: \(simulator.baseURL)
                caCertificate: \(certificates.caCertificate)
                format: primero-json
            \(auth)
            routes:
              - from: canonical
                to: [primero-cp]
            """
        return try GatewayConfiguration.parse(text, file: folder.path("gateway.yaml"))
    }

    @Test("is built from the configuration and creates the case in Primero")
    func deliversToPrimero() throws {
        let simulator = try PrimeroSimulator()
        let folder = try TemporaryDirectory()
        let auth = """
                auth:
                  basic:
                    user: \(simulator.user)
                    password: {file: \(folder.path("primero-password"))}
            """
        let configuration = try configuration(simulator, folder: folder, auth: auth)
        let destinationConfiguration = try #require(configuration.destination(named: "primero-cp"))
        let destination = try DestinationKinds.builtIn.make(
            destinationConfiguration, environment: TestEnvironment.adapters)
        let person = Person(
            id: "TST-00000042",
            name: PersonName(given: "Given", family: "Family"),
            sex: "female",
            birthDate: try PartialDate(iso: "2015-04-02"),
            populationType: "REF"
        )
        let result = destination.deliver(.person(person), context: DeliveryContext(idempotencyKey: "k-1"))
        guard case .delivered = result else {
            Issue.record("expected delivered, got \(result)")
            return
        }
        #expect(simulator.caseCount == 1)
        let again = destination.deliver(.person(person), context: DeliveryContext(idempotencyKey: "k-1"))
        guard case .unchanged = again else {
            Issue.record("a repeat of the same record should be unchanged, got \(again)")
            return
        }
        #expect(simulator.caseCount == 1)
        #expect(simulator.counts.created == 1)
        simulator.stop()
    }

    @Test("without credentials is refused at start-up with the reason")
    func needsCredentials() throws {
        let simulator = try PrimeroSimulator()
        let folder = try TemporaryDirectory()
        let configuration = try configuration(simulator, folder: folder, auth: "")
        let destinationConfiguration = try #require(configuration.destination(named: "primero-cp"))
        #expect(throws: DestinationKindError.primeroNeedsCredentials(destination: "primero-cp")) {
            try DestinationKinds.builtIn.make(destinationConfiguration, environment: TestEnvironment.adapters)
        }
        simulator.stop()
    }
}
