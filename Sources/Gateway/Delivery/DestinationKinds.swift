import Adapters

/// How each destination `kind` of the configuration is built: the table the partner clients plug into.
///
/// The Primero and PING clients join by adding an entry (`"primero": { … }`) that builds their
/// `RecordDestination` from the configured destination; the delivery workers need nothing else.
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
        "file": { destination, environment in
            try FileDestination(
                directory: destination.directory ?? ".",
                encoder: PayloadEncoder(
                    formatName: destination.format, environment: environment, mapping: destination.mapping))
        },
    ])

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

    public var description: String {
        switch self {
        case .unknown(let kind, let destination, let known):
            "destination \(destination): unknown kind \"\(kind)\" (known: \(known.joined(separator: ", ")))"
        }
    }
}
