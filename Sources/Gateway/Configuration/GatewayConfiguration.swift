import Foundation

/// Everything `primes-gateway serve` and `push` read from their one YAML file.
///
/// Paths in the file are relative to the file's own folder. Secrets (tokens, passwords) are never written in
/// the file: it holds hashes of client tokens and, for destinations, the file or environment variable a
/// secret is read from.
public struct GatewayConfiguration: Sendable {
    /// The file the configuration was read from, for messages.
    public var file: String
    public var listeners: [Listener]
    public var store: StoreLocation
    /// Where the disclosure ledger is kept; a configuration file gives `ledger/` beside itself unless it says
    /// otherwise. Nil keeps no ledger (configurations built in code, for tests).
    public var ledgerDirectory: String?
    /// Size at which a ledger file is sealed and a new one continues the chain.
    public var ledgerSegmentBytes = DisclosureLedger.defaultSegmentBytes
    /// The key that encrypts record payloads in the store (64 hexadecimal digits); nil stores them as they are.
    public var storeKey: SecretReference?
    /// Keys that sealed payloads before `storeKey`: they still open them, so that the key can be changed
    /// without draining the queue first.
    public var previousStoreKeys: [SecretReference] = []
    public var clients: [Client]
    public var destinations: [Destination]
    public var routes: [Route]
    public var delivery: DeliverySettings
    public var retention = RetentionSettings()
    /// Systems the gateway pulls records from on a schedule (`sync`).
    public var sources: [Source] = []

    public init(
        file: String,
        listeners: [Listener] = [],
        store: StoreLocation,
        clients: [Client] = [],
        destinations: [Destination] = [],
        routes: [Route] = [],
        delivery: DeliverySettings = DeliverySettings()
    ) {
        self.file = file
        self.listeners = listeners
        self.store = store
        self.clients = clients
        self.destinations = destinations
        self.routes = routes
        self.delivery = delivery
    }

    public func destination(named name: String) -> Destination? {
        destinations.first { $0.name == name }
    }

    public func source(named name: String) -> Source? {
        sources.first { $0.name == name }
    }

    /// The names of the destinations that records of `format` go to, each once, in route order.
    public func destinations(forSourceFormat format: String) -> [String] {
        var names: [String] = []
        for name in routes.filter({ $0.from == format }).flatMap(\.to) where !names.contains(name) {
            names.append(name)
        }
        return names
    }
}

extension GatewayConfiguration {
    /// One address the server listens on, with its TLS material (absent only when `tls: off` is written).
    public struct Listener: Sendable, Equatable {
        public var host: String
        public var port: UInt16
        public var tls: TLS?
        /// Larger bodies are answered 413 before any handler runs.
        public var maximumBodyBytes: Int
        /// Threads serving requests; concurrent ingests share one commit, so more threads mean fewer fsyncs.
        public var threads: Int
        /// A thread for each connection instead of `threads` shared ones: an ingest waiting for its commit then
        /// holds up only its own connection, not the others that would share its thread.
        public var threadPerConnection: Bool

        public init(
            host: String, port: UInt16, tls: TLS?, maximumBodyBytes: Int = 16 << 20, threads: Int = 8,
            threadPerConnection: Bool = false
        ) {
            self.host = host
            self.port = port
            self.tls = tls
            self.maximumBodyBytes = maximumBodyBytes
            self.threads = threads
            self.threadPerConnection = threadPerConnection
        }
    }

    public struct TLS: Sendable, Equatable {
        public var certificate: String
        public var key: String
        /// When set, client certificates signed by this CA are requested and verified.
        public var clientCA: String?
        public var requireClientCertificate: Bool

        public init(certificate: String, key: String, clientCA: String? = nil, requireClientCertificate: Bool = false) {
            self.certificate = certificate
            self.key = key
            self.clientCA = clientCA
            self.requireClientCertificate = requireClientCertificate
        }
    }

    /// Where the outbox lives.
    public enum StoreLocation: Sendable, Equatable {
        case sqlite(path: String)
        /// Several gateway instances sharing one queue; the PostgreSQL store is not built yet.
        case postgres(url: String)
    }

    /// A system allowed to submit records, and what it may submit.
    public struct Client: Sendable {
        public var name: String
        public var tokenHashes: [TokenHash]
        /// SHA-256 fingerprints (lower-case hex of the DER) of client certificates that identify this client.
        public var certificateFingerprints: [String]
        /// The source formats this client may post to `/v1/records/{format}`; `*` allows every format.
        public var formats: [String]
        /// Requests per second before 429, averaged over a one-second bucket with a burst of the same size.
        public var requestsPerSecond: Double
        /// Whether the client may read and replay dead letters (an operator's tool, not a partner's).
        public var isOperator: Bool

        public init(
            name: String,
            tokenHashes: [TokenHash] = [],
            certificateFingerprints: [String] = [],
            formats: [String] = [],
            requestsPerSecond: Double = 50,
            isOperator: Bool = false
        ) {
            self.isOperator = isOperator
            self.name = name
            self.tokenHashes = tokenHashes
            self.certificateFingerprints = certificateFingerprints
            self.formats = formats
            self.requestsPerSecond = requestsPerSecond
        }

        public func maySubmit(_ format: String) -> Bool {
            formats.contains("*") || formats.contains(format)
        }
    }

    /// A partner system records are delivered to.
    public struct Destination: Sendable {
        public var name: String
        /// A key of the destination-kind table (`http`, `file`, and the partner clients as they land).
        public var kind: String
        public var url: String?
        public var directory: String?
        public var auth: DestinationAuth?
        /// A CA file to trust for this partner's certificate (self-signed partners).
        public var caCertificate: String?
        /// A client certificate and key presented alongside `auth.bearer`, for partners that demand mutual TLS
        /// as well as a token (PING); given together or not at all.
        public var clientCertificate: String?
        public var clientKey: String?
        /// PING's identifiers of this partner; present exactly when `kind` is `ping`.
        public var ping: PINGIdentifiers?
        /// The format the partner receives.
        public var format: String
        /// A mapping file used instead of the format's own.
        public var mapping: String?
        /// The data-sharing agreement file; without one the destination receives nothing.
        public var agreement: String?
        /// The secret under which the agreement's `pseudonym` transformations are made for this destination.
        public var pseudonymKey: SecretReference?
        public var retry: RetryPolicy
        /// The line of the destination in the file, for start-up messages.
        public var line: Int

        public init(
            name: String,
            kind: String,
            url: String? = nil,
            directory: String? = nil,
            auth: DestinationAuth? = nil,
            caCertificate: String? = nil,
            clientCertificate: String? = nil,
            clientKey: String? = nil,
            ping: PINGIdentifiers? = nil,
            format: String,
            mapping: String? = nil,
            agreement: String? = nil,
            retry: RetryPolicy = RetryPolicy(),
            line: Int = 0
        ) {
            self.name = name
            self.kind = kind
            self.url = url
            self.directory = directory
            self.auth = auth
            self.caCertificate = caCertificate
            self.clientCertificate = clientCertificate
            self.clientKey = clientKey
            self.ping = ping
            self.format = format
            self.mapping = mapping
            self.agreement = agreement
            self.retry = retry
            self.line = line
        }
    }

    /// Who the gateway is to a PING deployment: the partner id in the ingestion path, and the envelope values.
    public struct PINGIdentifiers: Sendable, Equatable {
        public var partnerId: String
        /// When absent, the ingestion envelope carries the mapping's `settings` values.
        public var shippingProcessId: String?
        public var interopId: String?

        public init(partnerId: String, shippingProcessId: String? = nil, interopId: String? = nil) {
            self.partnerId = partnerId
            self.shippingProcessId = shippingProcessId
            self.interopId = interopId
        }
    }

    /// How the gateway proves itself to a destination. Secrets are read when the destination is built.
    public enum DestinationAuth: Sendable, Equatable {
        case basic(user: String, password: SecretReference)
        case bearer(SecretReference)
        case clientCertificate(certificate: String, key: String)
    }

    /// Records of one source format go to these destinations.
    public struct Route: Sendable, Equatable {
        public var from: String
        public var to: [String]

        public init(from: String, to: [String]) {
            self.from = from
            self.to = to
        }
    }

    /// How long record payloads, and then whole batches, are kept once every destination has them.
    public struct RetentionSettings: Sendable, Equatable {
        /// Days after its batch was received that a delivered record's payload is emptied.
        public var payloadDays: Double
        /// Days after it was received that a batch every destination has is deleted with its records and
        /// deliveries; nil keeps batches (their status stays answerable) for as long as the store lasts.
        public var batchDays: Double?
        /// How often the sweep runs.
        public var sweepSeconds: Double

        public init(payloadDays: Double = 30, batchDays: Double? = nil, sweepSeconds: Double = 3600) {
            self.payloadDays = payloadDays
            self.batchDays = batchDays
            self.sweepSeconds = sweepSeconds
        }
    }

    /// The delivery workers' settings.
    public struct DeliverySettings: Sendable, Equatable {
        public var workers: Int
        /// How long a claimed delivery stays with its worker before another may take it over.
        public var leaseSeconds: Double
        /// How many deliveries a worker claims at once; their outcomes are committed together.
        public var claimSize: Int
        /// How long an idle worker sleeps before looking for due deliveries again.
        public var pollSeconds: Double
        /// How long a destination whose credentials were refused stays paused before one delivery is sent
        /// to it as a probe; a probe that gets through resumes it.
        public var pauseProbeSeconds: Double

        public init(
            workers: Int = 2, leaseSeconds: Double = 60, claimSize: Int = 64, pollSeconds: Double = 0.2,
            pauseProbeSeconds: Double = 300
        ) {
            self.workers = workers
            self.leaseSeconds = leaseSeconds
            self.claimSize = claimSize
            self.pollSeconds = pollSeconds
            self.pauseProbeSeconds = pauseProbeSeconds
        }
    }
}
