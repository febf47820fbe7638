import Adapters
import Foundation
import Gateway
import PrimesModel
import TestSupport
import Testing

@Suite("A ping destination in the configuration", .serialized)
struct PINGDestinationKindTests {
    /// A configuration with one ping destination reading its token from a file holding `token`; `extra` lines
    /// are added to the destination as written.
    private func configuration(
        _ simulator: PINGSimulator, folder: TemporaryDirectory, token: String = PINGSimulator.token, extra: String = ""
    ) throws -> GatewayConfiguration {
        _ = try folder.write("ping-token", token + "\n")
        let certificates = try TestCertificates.shared()
        let text = """
            store: sqlite:\(folder.path("outbox.sqlite"))
            destinations:
              - name: ping-kkm
                kind: ping
                url: \(simulator.baseURL)
                caCertificate: \(certificates.caCertificate)
                format: progres-ping-json
                auth:
                  bearer: {file: \(folder.path("ping-token"))}
                ping:
                  partnerId: \(PINGSimulator.partnerId)
                  shippingProcessId: SHP-1
            \(extra)
            routes:
              - from: canonical
                to: [ping-kkm]
            """
        return try GatewayConfiguration.parse(text, file: folder.path("gateway.yaml"))
    }

    private func destination(_ configuration: GatewayConfiguration) throws -> any RecordDestination {
        let destination = try #require(configuration.destination(named: "ping-kkm"))
        return try DestinationKinds.builtIn.make(destination, environment: TestEnvironment.adapters)
    }

    private static let person = Person(
        id: "TST-00000042",
        name: PersonName(given: "Given", family: "Family"),
        sex: "female",
        birthDate: try? PartialDate(iso: "2015-04-02"),
        populationType: "REF"
    )

    private static func deliver(_ destination: any RecordDestination) -> DeliveryResult {
        destination.deliver(.person(person), context: DeliveryContext(idempotencyKey: "k-1"))
    }

    /// The value of the ingestion field `name` in `item`, as text.
    private static func field(_ name: String, in item: JSONValue) -> String? {
        guard case .object(let fields) = item, case .array(let entries)? = fields["Fields"] else { return nil }
        for case .object(let entry) in entries where entry["Name"] == .string(name) {
            return entry["Value"]?.scalarText
        }
        return nil
    }

    @Test("is built from the configuration and delivers the person as one ingestion item")
    func deliversToPING() throws {
        let simulator = try PINGSimulator()
        let folder = try TemporaryDirectory()
        let destination = try destination(try configuration(simulator, folder: folder))

        #expect(Self.deliver(destination) == .delivered(remoteId: nil))
        let items = simulator.ingestedItems
        #expect(items.count == 1)
        let item = try #require(items.first)
        #expect(Self.field("progres_id", in: item) == "TST-00000042")
        #expect(Self.field("progres_givenname", in: item) == "Given")
        #expect(Self.field("progres_familyname", in: item) == "Family")
        #expect(Self.field("progres_dateofbirth", in: item)?.hasPrefix("2015-04-02") == true)
        #expect(Self.field("progres_sex", in: item) != nil)
    }

    @Test("with a wrong token, delivery is an authentication failure")
    func wrongToken() throws {
        let simulator = try PINGSimulator()
        let folder = try TemporaryDirectory()
        let destination = try destination(try configuration(simulator, folder: folder, token: "not-the-token"))

        guard case .authenticationFailed = Self.deliver(destination) else {
            Issue.record("a wrong token should be an authentication failure")
            return
        }
        #expect(simulator.ingestedItems.isEmpty)
        #expect(simulator.refusedRequests == 1)
    }

    @Test("with mutual TLS demanded, the configured client certificate delivers and its absence is refused")
    func mutualTLS() throws {
        let simulator = try PINGSimulator(requireClientCertificate: true)
        let certificates = try TestCertificates.shared()
        let folder = try TemporaryDirectory()
        let extra = """
                clientCertificate: \(certificates.clientCertificate)
                clientKey: \(certificates.clientKey)
            """
        let with = try destination(try configuration(simulator, folder: folder, extra: extra))
        #expect(Self.deliver(with) == .delivered(remoteId: nil))
        #expect(simulator.ingestedItems.count == 1)

        let without = try destination(try configuration(simulator, folder: folder))
        guard case .authenticationFailed = Self.deliver(without) else {
            Issue.record("without a client certificate the delivery should be refused")
            return
        }
        #expect(simulator.ingestedItems.count == 1)
    }

    @Test("without a token is refused at start-up with the reason")
    func needsToken() throws {
        let destination = GatewayConfiguration.Destination(
            name: "ping-kkm", kind: "ping", url: "https://127.0.0.1:1",
            ping: .init(partnerId: PINGSimulator.partnerId), format: "progres-ping-json")
        #expect(throws: DestinationKindError.pingNeedsToken(destination: "ping-kkm")) {
            try DestinationKinds.builtIn.make(destination, environment: TestEnvironment.adapters)
        }
    }

    @Test("a configuration error names the file, the line and the key")
    func configurationErrors() throws {
        func error(_ destination: String) -> ConfigurationError? {
            let text = """
                store: sqlite:outbox.sqlite
                destinations:
                  - name: ping-kkm
                    url: https://ping.example.org
                    auth:
                      bearer: {env: PING_TOKEN}
                \(destination)
                """
            do {
                _ = try GatewayConfiguration.parse(text, file: "/etc/primes/gateway.yaml")
                return nil
            } catch {
                return error
            }
        }
        let noPartner = try #require(
            error(
                """
                    kind: ping
                    format: progres-ping-json
                    ping:
                      shippingProcessId: SHP-1
                """))
        #expect(noPartner.key == "destinations[0].ping.partnerId")
        #expect(noPartner.line >= 9)
        #expect("\(noPartner)".hasPrefix("/etc/primes/gateway.yaml:\(noPartner.line): destinations[0].ping.partnerId"))

        let noPingSection = try #require(error("    kind: ping\n    format: progres-ping-json"))
        #expect(noPingSection.key == "destinations[0].ping.partnerId")

        let pingOnHTTP = try #require(error("    kind: http\n    format: canonical\n    ping: {partnerId: P}"))
        #expect(pingOnHTTP.key == "destinations[0].ping")

        let certificateWithoutKey = try #require(
            error(
                "    kind: ping\n    format: progres-ping-json\n    ping: {partnerId: P}\n    clientCertificate: c.pem")
        )
        #expect(certificateWithoutKey.key == "destinations[0].clientCertificate")

        let wrongFormat = try #require(error("    kind: ping\n    format: canonical\n    ping: {partnerId: P}"))
        #expect(wrongFormat.key == "destinations[0].format")
    }
}
