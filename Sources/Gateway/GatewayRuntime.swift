import Adapters
import Foundation
import PrimesLogging

/// Everything a configuration builds at start-up: the store, the destinations with their agreements, the
/// ingestor and the delivery service. `serve`, `push` and `outbox` all start here.
public final class GatewayRuntime: Sendable {
    public let configuration: GatewayConfiguration
    public let environment: AdapterEnvironment
    public let store: any OutboxStore
    public let ingestor: Ingestor
    public let delivery: DeliveryService
    public let metrics: GatewayMetrics
    public let logger: Logger

    /// Opens the store and builds every destination. A destination without an agreement is built but
    /// receives nothing; the start-up log says so.
    public init(
        configuration: GatewayConfiguration, environment: AdapterEnvironment, kinds: DestinationKinds = .builtIn,
        logger: Logger
    ) throws {
        self.configuration = configuration
        self.environment = environment
        self.logger = logger
        store = try Self.openStore(for: configuration)
        if configuration.storeKey == nil {
            logger.warning(
                "store.unencrypted", ["reason": .safe("no storeKey is configured: payloads are stored as they came")])
        }
        metrics = GatewayMetrics()
        var targets: [DeliveryService.Target] = []
        for destination in configuration.destinations {
            let agreement = try destination.agreement.map { path throws(ConfigurationError) in
                try DataSharingAgreement.load(path: path)
            }
            if let agreement {
                logger.info(
                    "destination.ready",
                    [
                        "destination": .safe(destination.name), "kind": .safe(destination.kind),
                        "agreement": .safe(agreement.name), "agreement.version": .safe(agreement.version),
                        "agreement.fields": .count(agreement.fields.count),
                    ])
            } else {
                logger.warning(
                    "destination.no_agreement",
                    ["destination": .safe(destination.name), "effect": .safe("receives nothing")])
            }
            targets.append(
                DeliveryService.Target(
                    name: destination.name, destination: try kinds.make(destination, environment: environment),
                    agreement: agreement, retry: destination.retry,
                    pulledBy: configuration.sources(pullingFrom: destination).map(\.name),
                    pseudonymKey: try Self.pseudonymKey(for: destination, agreement: agreement, in: configuration),
                    carriesConsent: destination.format == "canonical" && ["http", "file"].contains(destination.kind)))
        }
        let ledger = try configuration.ledgerDirectory.map { directory throws(LedgerError) in
            try DisclosureLedger(directory: directory, segmentBytes: configuration.ledgerSegmentBytes)
        }
        if let ledger { logger.info("ledger.ready", ["file": .safe(ledger.path)]) }
        delivery = DeliveryService(
            store: store, targets: targets, settings: configuration.delivery, metrics: metrics, logger: logger,
            ledger: ledger)
        ingestor = Ingestor(environment: environment, store: store, configuration: configuration)
    }

    /// The destination's pseudonym key, required when its agreement makes pseudonyms: a record that would
    /// need one is never sent with the value it replaces.
    private static func pseudonymKey(
        for destination: GatewayConfiguration.Destination, agreement: DataSharingAgreement?,
        in configuration: GatewayConfiguration
    ) throws(ConfigurationError) -> [UInt8]? {
        let key = "destinations[\(destination.name)].pseudonymKey"
        guard let secret = destination.pseudonymKey else {
            if agreement?.needsPseudonymKey == true {
                throw ConfigurationError(
                    file: configuration.file, line: destination.line, key: key,
                    reason: "agreement \(agreement?.name ?? "") makes pseudonyms: give {file: PATH} or {env: NAME}")
            }
            return nil
        }
        let text: String
        do {
            text = try secret.read()
        } catch {
            throw ConfigurationError(
                file: configuration.file, line: destination.line, key: key, reason: error.description)
        }
        guard text.utf8.count >= 32 else {
            throw ConfigurationError(
                file: configuration.file, line: destination.line, key: key,
                reason: "a pseudonym key has at least 32 characters (openssl rand -hex 32)")
        }
        return Array(text.utf8)
    }

    /// The store a location names, its schema migrated to the latest version; with `seal`, payloads are
    /// written encrypted.
    public static func openStore(_ location: GatewayConfiguration.StoreLocation, seal: PayloadSeal? = nil) throws
        -> any OutboxStore
    {
        switch location {
        case .sqlite(let path): return try SQLiteOutboxStore(path: path, seal: seal)
        case .postgres(let url): return try PostgresOutboxStore(url: url, seal: seal)
        }
    }

    /// The store of a configuration, encrypting payloads with its `storeKey` when it has one.
    public static func openStore(for configuration: GatewayConfiguration) throws -> any OutboxStore {
        let seal: PayloadSeal?
        do {
            seal = try configuration.storeKey.map { key throws(SealError) in
                try PayloadSeal(secret: key, previous: configuration.previousStoreKeys)
            }
        } catch {
            throw ConfigurationError(file: configuration.file, line: 0, key: "storeKey", reason: error.description)
        }
        return try openStore(configuration.store, seal: seal)
    }
}
