import Adapters
import HTTPClient

/// How each destination `kind` of the configuration is built: the table the partner clients plug into.
///
/// A partner client joins by adding an entry (`"primero": { … }`) that builds its `RecordDestination` from the
/// configured destination; the delivery workers need nothing else.
public struct DestinationKinds: Sendable {
    /// Builds a destination from its configuration; secrets are read here, at start-up.
    public typealias Make =
        @Sendable (GatewayConfiguration.Destination, AdapterEnvironment) throws -> any RecordDestination

    public var kinds: [String: Make]

    public init(_ kinds: [String: Make]) {
        self.kinds = kinds
    }

    public static let builtIn = DestinationKinds([
        "http": { destination, environment in try HTTPDestination.make(destination, environment: environment) },
        "primero": { destination, environment in try makePrimero(destination, environment: environment) },
        "ping": { destination, environment in try makePING(destination, environment: environment) },
        "file": { destination, environment in
            try FileDestination(
                directory: destination.directory ?? ".",
                encoder: PayloadEncoder(
                    formatName: destination.format, environment: environment, mapping: destination.mapping))
        },
    ])

    /// A Primero instance: idempotent case creation and updates through `PrimeroClient`, with Basic (native
    /// accounts) or Bearer (SSO) credentials and the instance's mapping file, if it has one.
    static func makePrimero(
        _ destination: GatewayConfiguration.Destination,
        environment: AdapterEnvironment
    ) throws -> any RecordDestination {
        let authorization: HTTPAuthorization
        switch destination.auth {
        case .basic(let user, let password): authorization = .basic(user: user, password: try password.read())
        case .bearer(let token): authorization = .bearer(try token.read())
        case .clientCertificate, nil: throw DestinationKindError.primeroNeedsCredentials(destination: destination.name)
        }
        guard let url = destination.url else {
            throw DestinationKindError.missingURL(destination: destination.name)
        }
        return try PrimeroClient(
            baseURL: url,
            authorization: authorization,
            caCertificatePath: destination.caCertificate,
            mapping: destination.mapping,
            environment: environment
        )
    }

    /// A PING deployment: one ingestion item per person, sent with the bearer token (and the client
    /// certificate, for deployments that demand mutual TLS), encoded by the destination's mapping or the
    /// format's own.
    static func makePING(
        _ destination: GatewayConfiguration.Destination,
        environment: AdapterEnvironment
    ) throws -> any RecordDestination {
        guard case .bearer(let token) = destination.auth else {
            throw DestinationKindError.pingNeedsToken(destination: destination.name)
        }
        guard let url = destination.url else {
            throw DestinationKindError.missingURL(destination: destination.name)
        }
        guard let identifiers = destination.ping else {
            throw DestinationKindError.pingNeedsPartnerId(destination: destination.name)
        }
        let format = try environment.registry.writer(named: destination.format)
        let mapping = try environment.context(mappingOverride: destination.mapping).mapping(for: format)
        let encoder = try PINGIngestionEncoder(mapping: mapping, codeLists: environment.codeLists)
        var configuration = PINGConfiguration(
            baseURL: url,
            token: try token.read(),
            partnerId: identifiers.partnerId,
            shippingProcessId: identifiers.shippingProcessId ?? encoder.settings.shippingProcessId,
            interopId: identifiers.interopId ?? encoder.settings.interopId
        )
        configuration.caCertificatePath = destination.caCertificate
        configuration.clientCertificatePath = destination.clientCertificate
        configuration.clientKeyPath = destination.clientKey
        return PINGDestination(client: PINGClient(configuration: configuration), encoder: encoder)
    }

    /// Builds `destination`, or says why its kind is not known.
    public func make(_ destination: GatewayConfiguration.Destination, environment: AdapterEnvironment) throws
        -> any RecordDestination
    {
        guard let make = kinds[destination.kind] else {
            throw DestinationKindError.unknown(
                destination.kind, destination: destination.name, known: kinds.keys.sorted())
        }
        return try make(destination, environment)
    }
}

public enum DestinationKindError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknown(String, destination: String, known: [String])
    case primeroNeedsCredentials(destination: String)
    case missingURL(destination: String)
    case pingNeedsToken(destination: String)
    case pingNeedsPartnerId(destination: String)

    public var description: String {
        switch self {
        case .unknown(let kind, let destination, let known):
            "destination \(destination): unknown kind \"\(kind)\" (known: \(known.joined(separator: ", ")))"
        case .primeroNeedsCredentials(let destination):
            "destination \(destination): a Primero destination needs auth.basic (native account) or auth.bearer (SSO)"
        case .missingURL(let destination):
            "destination \(destination): url is required"
        case .pingNeedsToken(let destination):
            "destination \(destination): a PING destination needs auth.bearer (the PING token, from a file or env)"
        case .pingNeedsPartnerId(let destination):
            "destination \(destination): a PING destination needs ping.partnerId"
        }
    }
}
