import Adapters
import Gateway

extension PullCommand {
    /// The `pull` readers, for the gateway's `ping` and `primero` sources (`sync` and `serve`).
    static let readers = PullReaders(
        Dictionary(
            uniqueKeysWithValues: GatewayConfiguration.Source.Kind.allCases.compactMap { kind in
                sources.first { $0.name == kind.rawValue }.map { pull in
                    (
                        kind,
                        { @Sendable source, since, environment, context in
                            return try pull.open(
                                PullRequest(
                                    url: source.url ?? "",
                                    credentials: try PullCredentials(path: source.credentials ?? ""),
                                    since: since, environment: environment, context: context))
                        } as PullReaders.Open
                    )
                }
            }))
}
