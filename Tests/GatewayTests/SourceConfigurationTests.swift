import Foundation
import Gateway
import TestSupport
import Testing

@Suite struct SourceConfigurationTests {
    static let destinations = """
        destinations:
          - name: drop
            kind: file
            directory: out
            format: canonical
        routes:
          - from: scope-csv
            to: [drop]
        """

    @Test func readsADirectorySourceWithItsScheduleAndRoutes() throws {
        let text =
            Self.destinations + """

                sources:
                  - name: kakuma-scope
                    kind: directory
                    path: incoming/scope
                    format: scope-csv
                    mapping: mappings/scope-kakuma.yaml
                    schedule: {interval: 5m, jitter: 30s}
                """
        let configuration = try GatewayConfiguration.parse(text, file: "/etc/primes/g.yaml")
        let source = try #require(configuration.source(named: "kakuma-scope"))
        #expect(source.kind == .directory)
        #expect(source.path == "/etc/primes/incoming/scope")
        #expect(source.mapping == "/etc/primes/mappings/scope-kakuma.yaml")
        #expect(source.schedule == .init(intervalSeconds: 300, jitterSeconds: 30))
        #expect(source.line == 10)
        // No `to:` of its own: the routes of its format apply.
        #expect(configuration.destinations(forSource: source) == ["drop"])
    }

    @Test func readsPINGAndPrimeroSourcesWithCredentialsFiles() throws {
        let text =
            Self.destinations + """

                sources:
                  - name: ping-kenya
                    kind: ping
                    url: https://ping.example.org/api
                    credentials: secrets/ping.yaml
                    to: drop
                  - name: primero
                    kind: primero
                    url: https://primero.example.org
                    credentials: /run/secrets/primero.yaml
                """
        let configuration = try GatewayConfiguration.parse(text, file: "/etc/primes/g.yaml")
        let ping = try #require(configuration.source(named: "ping-kenya"))
        #expect(ping.kind == .ping)
        #expect(ping.format == "ping")
        #expect(ping.credentials == "/etc/primes/secrets/ping.yaml")
        #expect(configuration.destinations(forSource: ping) == ["drop"])
        let primero = try #require(configuration.source(named: "primero"))
        #expect(primero.credentials == "/run/secrets/primero.yaml")
        #expect(primero.schedule.intervalSeconds == 300)
        #expect(configuration.destinations(forSource: primero).isEmpty)
    }

    @Test(
        arguments: [
            ("  - name: a\n    kind: ftp\n    path: in", 2, "sources[0].kind", "unknown source kind \"ftp\""),
            ("  - name: a\n    kind: directory\n    format: scope-csv", 1, "sources[0].path", "needs a path"),
            ("  - name: a\n    kind: directory\n    path: in", 1, "sources[0].format", "needs the format"),
            ("  - name: a\n    kind: ping\n    credentials: c.yaml", 1, "sources[0].url", "http(s):// url"),
            ("  - name: a\n    kind: primero\n    url: https://p.example", 1, "sources[0].credentials", "credentials"),
            (
                "  - name: a\n    kind: directory\n    path: in\n    format: scope-csv\n    schedule: {interval: 0s}",
                5,
                "sources[0].schedule.interval", "longer than zero"
            ),
            (
                "  - name: a\n    kind: directory\n    path: in\n    format: scope-csv\n    schedule: {every: 5m}", 5,
                "sources[0].schedule.every", "unknown key"
            ),
            (
                "  - name: a\n    kind: directory\n    path: in\n    format: scope-csv\n    to: [nowhere]", 1,
                "sources[0].to", "no destination is named \"nowhere\""
            ),
            (
                "  - name: a\n    kind: directory\n    path: in\n    format: scope-csv\n"
                    + "  - name: a\n    kind: directory\n    path: in2\n    format: scope-csv", 5,
                "sources[1].name", "appears twice"
            ),
        ])
    func namesTheLineAndKeyOfABadSource(source: String, line: Int, key: String, reason: String) throws {
        let text = Self.destinations + "\nsources:\n" + source + "\n"
        let error = try #require(throws: ConfigurationError.self) {
            try GatewayConfiguration.parse(text, file: "g.yaml")
        }
        // The destinations and routes above take eight lines, and `sources:` one more.
        #expect(error.line == line + 9, "\(error)")
        #expect(error.key == key, "\(error)")
        #expect(error.description.contains(reason), "\(error)")
    }
}
