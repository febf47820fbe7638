import Foundation
import Gateway
import TestSupport
import Testing

@Suite struct GatewayConfigurationTests {
    @Test func readsTheSampleConfiguration() throws {
        let configuration = try GatewayConfiguration.load(path: RepositoryPaths.fixture("gateway/sample-config.yaml"))
        #expect(configuration.listeners.first?.port == 8443)
        #expect(configuration.listeners.first?.tls?.certificate.hasSuffix("run/dev-cert.pem") == true)
        guard case .sqlite(let store) = configuration.store else {
            Issue.record("expected a SQLite store")
            return
        }
        #expect(store.hasSuffix("run/outbox.sqlite"))
        guard case .file(let key) = configuration.storeKey else {
            Issue.record("expected the store key from a file")
            return
        }
        #expect(key.hasSuffix("run/store.key"))
        #expect(configuration.clients.first?.tokenHashes.first?.matches("dev-token-not-secret") == true)
        #expect(configuration.clients.first?.maySubmit("scope-csv") == true)
        #expect(configuration.destinations(forSourceFormat: "canonical") == ["local-drop"])
        #expect(configuration.destination(named: "local-drop")?.retry.maxAttempts == 5)
        #expect(configuration.destination(named: "local-drop")?.retry.maxDelaySeconds == 60)
    }

    @Test func aListenerMayGiveEachConnectionAThread() throws {
        let text = """
            listeners:
              - {port: 8443, tls: off}
              - {port: 8444, tls: off, threadPerConnection: true}
              - {port: 8445, tls: off, threadPerConnection: maybe}
            """
        let error = try #require(throws: ConfigurationError.self) {
            try GatewayConfiguration.parse(text, file: "g.yaml")
        }
        #expect(error.key == "listeners[2].threadPerConnection")
        let valid = try GatewayConfiguration.parse(
            text.split(separator: "\n").dropLast().joined(separator: "\n"), file: "g.yaml")
        #expect(valid.listeners.map(\.threadPerConnection) == [false, true])
    }

    @Test func theProbeOfAPausedDestinationHasAWaitOfFiveMinutesUnlessSet() throws {
        let unset = try GatewayConfiguration.parse("delivery: {workers: 1}", file: "g.yaml")
        #expect(unset.delivery.pauseProbeSeconds == 300)
        let set = try GatewayConfiguration.parse("delivery: {pauseProbeSeconds: 30}", file: "g.yaml")
        #expect(set.delivery.pauseProbeSeconds == 30)
        let error = try #require(throws: ConfigurationError.self) {
            try GatewayConfiguration.parse("delivery: {pauseProbeSeconds: soon}", file: "g.yaml")
        }
        #expect(error.key == "delivery.pauseProbeSeconds")
    }

    @Test func aStoreKeyIsASecretReferenceAndABadOneStopsTheStart() throws {
        let inline = try #require(throws: ConfigurationError.self) {
            try GatewayConfiguration.parse("storeKey: 0123abcd", file: "g.yaml")
        }
        #expect(inline.key == "storeKey")
        let folder = try TemporaryDirectory()
        let keyFile = try folder.write("store.key", "not-a-key\n")
        var configuration = try GatewayConfiguration.parse(
            "store: sqlite:\(folder.path("o.sqlite"))\nstoreKey: {file: \(keyFile)}", file: "g.yaml")
        let error = try #require(throws: ConfigurationError.self) {
            try GatewayRuntime.openStore(for: configuration)
        }
        #expect(error.key == "storeKey")
        #expect(error.reason.contains("64 hexadecimal digits"))
        configuration.storeKey = .environment("PRIMES_TEST_NO_SUCH_VARIABLE")
        #expect(throws: ConfigurationError.self) { try GatewayRuntime.openStore(for: configuration) }
    }

    @Test func deliveredPayloadsAreKeptThirtyDaysUnlessSaidOtherwise() throws {
        #expect(try GatewayConfiguration.parse("delivery: {workers: 1}", file: "g.yaml").retention.payloadDays == 30)
        let set = try GatewayConfiguration.parse("retention: {payloadDays: 7, sweepSeconds: 10m}", file: "g.yaml")
        #expect(set.retention == .init(payloadDays: 7, sweepSeconds: 600))
        let error = try #require(throws: ConfigurationError.self) {
            try GatewayConfiguration.parse("retention: {payloadDays: -1}", file: "g.yaml")
        }
        #expect(error.key == "retention.payloadDays")
    }

    @Test func previousStoreKeysAreSecretsAndNeedAStoreKey() throws {
        let set = try GatewayConfiguration.parse(
            "storeKey: {env: STORE_KEY}\npreviousStoreKeys: [{env: OLD_KEY}, {file: old.key}]", file: "/etc/g.yaml")
        #expect(set.previousStoreKeys == [.environment("OLD_KEY"), .file("/etc/old.key")])
        let alone = try #require(throws: ConfigurationError.self) {
            try GatewayConfiguration.parse("previousStoreKeys: [{env: OLD_KEY}]", file: "g.yaml")
        }
        #expect(alone.key == "previousStoreKeys")
        let written = try #require(throws: ConfigurationError.self) {
            try GatewayConfiguration.parse("storeKey: {env: K}\npreviousStoreKeys: [0a0a0a]", file: "g.yaml")
        }
        #expect(written.key == "previousStoreKeys[0]")
    }

    @Test func ledgerFilesAreSealedAtTheSizeGiven() throws {
        #expect(
            try GatewayConfiguration.parse("delivery: {workers: 1}", file: "g.yaml").ledgerSegmentBytes == 256 << 20)
        let set = try GatewayConfiguration.parse("ledger: {segmentMegabytes: 8}", file: "g.yaml")
        #expect(set.ledgerSegmentBytes == 8 << 20)
        let error = try #require(throws: ConfigurationError.self) {
            try GatewayConfiguration.parse("ledger: {segmentMegabytes: 0}", file: "g.yaml")
        }
        #expect(error.key == "ledger.segmentMegabytes")
    }

    @Test func batchesAreKeptUnlessARetentionInDaysIsGiven() throws {
        #expect(try GatewayConfiguration.parse("delivery: {workers: 1}", file: "g.yaml").retention.batchDays == nil)
        let set = try GatewayConfiguration.parse("retention: {payloadDays: 7, batchDays: 90}", file: "g.yaml")
        #expect(set.retention == .init(payloadDays: 7, batchDays: 90))
        let error = try #require(throws: ConfigurationError.self) {
            try GatewayConfiguration.parse("retention: {batchDays: ninety}", file: "g.yaml")
        }
        #expect(error.key == "retention.batchDays")
    }

    @Test func namesTheFileLineAndKeyOfAnUnknownKey() throws {
        let text = """
            destinations:
              - name: a
                kind: file
                directory: out
                format: canonical
                colour: blue
            """
        let error = try #require(throws: ConfigurationError.self) {
            try GatewayConfiguration.parse(text, file: "g.yaml")
        }
        #expect(error.file == "g.yaml")
        #expect(error.line == 6)
        #expect(error.key == "destinations[0].colour")
        #expect(error.description.hasPrefix("g.yaml:6: destinations[0].colour: unknown key"))
    }

    @Test func refusesAnInlineSecret() throws {
        let text = """
            destinations:
              - name: partner
                kind: http
                url: https://127.0.0.1:9/records
                format: canonical
                auth:
                  bearer: s3cr3t-token
            """
        let error = try #require(throws: ConfigurationError.self) {
            try GatewayConfiguration.parse(text, file: "g.yaml")
        }
        #expect(error.key == "destinations[0].auth.bearer")
        #expect(error.line == 7)
        #expect(!error.description.contains("s3cr3t"))
    }

    @Test func refusesAnInlineClientToken() throws {
        let text = """
            clients:
              - name: office
                token: plain
                formats: [canonical]
            """
        let error = try #require(throws: ConfigurationError.self) {
            try GatewayConfiguration.parse(text, file: "g.yaml")
        }
        #expect(error.key == "clients[0].token")
    }

    @Test func refusesARouteToAnUnknownDestination() throws {
        let text = """
            routes:
              - from: canonical
                to: [nowhere]
            """
        let error = try #require(throws: ConfigurationError.self) {
            try GatewayConfiguration.parse(text, file: "g.yaml")
        }
        #expect(error.key == "routes[0].to")
        #expect(error.line == 2)
    }

    @Test func readsSecretsFromEnvironmentAndFiles() throws {
        let folder = try TemporaryDirectory()
        _ = try folder.write("password", "pass-from-file\n")
        let text = """
            destinations:
              - name: partner
                kind: http
                url: https://127.0.0.1:9/records
                format: canonical
                auth:
                  basic: {user: gateway, password: {file: password}}
              - name: other
                kind: http
                url: https://127.0.0.1:9/records
                format: canonical
                auth:
                  bearer: {env: PARTNER_TOKEN}
            """
        let configuration = try GatewayConfiguration.parse(text, file: folder.path("g.yaml"))
        guard case .basic(let user, let password) = configuration.destinations[0].auth,
            case .bearer(let token) = configuration.destinations[1].auth
        else {
            Issue.record("expected basic and bearer auth")
            return
        }
        #expect(user == "gateway")
        #expect(try password.read() == "pass-from-file")
        #expect(try token.read(environment: ["PARTNER_TOKEN": "from-env"]) == "from-env")
        #expect(throws: SecretError.empty("environment variable PARTNER_TOKEN")) { try token.read(environment: [:]) }
    }

    @Test func comparesTokenHashesOfBothAlgorithms() throws {
        for algorithm in TokenHash.Algorithm.allCases {
            let hash = TokenHash.of("correct horse", algorithm: algorithm)
            let parsed = try #require(TokenHash(hash.text))
            #expect(parsed.matches("correct horse"))
            #expect(!parsed.matches("correct horsf"))
            #expect(!parsed.matches(""))
        }
        #expect(TokenHash("sha256:abc") == nil)
        #expect(TokenHash("md5:" + String(repeating: "0", count: 64)) == nil)
    }

    /// The SHA-256 of FIPS 180-2's examples (one block, two blocks, and a million bytes) and of nothing.
    @Test func sha256GivesTheStandardDigests() {
        let examples: [(String, String)] = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
            (
                String(repeating: "a", count: 1_000_000),
                "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
            ),
        ]
        for (text, digest) in examples {
            #expect(TokenHash.of(text).text == "sha256:" + digest, "\(text.prefix(8))…")
        }
    }
}
