import Adapters

/// How `ping` and `primero` sources are opened: the same readers as `primes-gateway pull`, which live with
/// the command line and are handed to the gateway here.
public struct PullReaders: Sendable {
    /// Opens a source's records changed since `since` (an ISO 8601 date-time; nil for everything).
    public typealias Open =
        @Sendable (
            _ source: GatewayConfiguration.Source, _ since: String?, _ environment: AdapterEnvironment,
            _ context: ConversionContext
        ) throws -> any RecordReader

    public var byKind: [GatewayConfiguration.Source.Kind: Open]

    public init(_ byKind: [GatewayConfiguration.Source.Kind: Open] = [:]) {
        self.byKind = byKind
    }
}
