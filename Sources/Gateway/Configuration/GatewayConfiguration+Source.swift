import Foundation

extension GatewayConfiguration {
    /// A system the gateway pulls records from on a schedule, and where those records go.
    public struct Source: Sendable, Equatable {
        /// The kinds of system a source can be.
        public enum Kind: String, Sendable, Equatable, CaseIterable {
            /// A folder that files are dropped into (by SFTP, or carried in on media).
            case directory
            /// UNHCR's PING API, read with the `pull` reader.
            case ping
            /// A UNICEF Primero instance, read with the `pull` reader.
            case primero
        }

        /// How often a source is polled: every `intervalSeconds`, plus a random delay up to `jitterSeconds`
        /// so that gateways started together do not all call a partner at the same moment.
        public struct Schedule: Sendable, Equatable {
            public var intervalSeconds: Double
            public var jitterSeconds: Double

            public init(intervalSeconds: Double = 300, jitterSeconds: Double = 0) {
                self.intervalSeconds = intervalSeconds
                self.jitterSeconds = jitterSeconds
            }
        }

        public var name: String
        public var kind: Kind
        /// The folder of a `directory` source.
        public var path: String?
        /// The base URL of a `ping` or `primero` source.
        public var url: String?
        /// A YAML file with the credentials of a `ping` or `primero` source (as `pull --credentials-file`; a
        /// private CA and client certificates are named there).
        public var credentials: String?
        public var schedule: Schedule
        /// The format the records arrive in: a registry name such as `scope-csv`; for `ping` and `primero`
        /// sources the kind's own name.
        public var format: String
        /// A mapping file used instead of the format's own.
        public var mapping: String?
        /// The destinations written in the source itself; nil follows the configuration's routes.
        public var to: [String]?
        /// The line of the source in the file, for messages.
        public var line: Int

        public init(
            name: String, kind: Kind, path: String? = nil, url: String? = nil, credentials: String? = nil,
            schedule: Schedule = Schedule(), format: String, mapping: String? = nil,
            to: [String]? = nil, line: Int = 0
        ) {
            self.name = name
            self.kind = kind
            self.path = path
            self.url = url
            self.credentials = credentials
            self.schedule = schedule
            self.format = format
            self.mapping = mapping
            self.to = to
            self.line = line
        }
    }

    /// The sources that pull from the system `destination` writes to: a `ping` or `primero` source of the
    /// destination's kind with the same base URL. What the gateway delivers there is remembered for them, so
    /// that a pull does not mistake the gateway's own write for a partner's change (the loop guard).
    public func sources(pullingFrom destination: Destination) -> [Source] {
        guard let url = destination.url.map(Self.systemAddress) else { return [] }
        return sources.filter { source in
            source.kind != .directory && source.kind.rawValue == destination.kind
                && source.url.map(Self.systemAddress) == url
        }
    }

    /// The destinations that are the system `source` pulls from (the inverse of `sources(pullingFrom:)`).
    public func destinations(pulledBy source: Source) -> [Destination] {
        destinations.filter { destination in
            sources(pullingFrom: destination).contains { $0.name == source.name }
        }
    }

    /// A base URL in the form two spellings of one system share: lower case, without a trailing slash.
    static func systemAddress(_ url: String) -> String {
        var text = url.lowercased()
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    /// The destinations a source's records go to: its own `to:` list when it has one, otherwise the routes
    /// whose `from` names the source, otherwise the routes of its format.
    public func destinations(forSource source: Source) -> [String] {
        if let to = source.to { return to }
        let byName = destinations(forSourceFormat: source.name)
        return byName.isEmpty ? destinations(forSourceFormat: source.format) : byName
    }
}
