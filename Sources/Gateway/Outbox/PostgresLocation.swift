import Foundation

/// A `store: postgres://…` URL, split into what libpq reads and what the gateway reads itself.
///
/// The gateway's own parameters (`password_file`, `password_env`, `pool_size`) are taken out of the query
/// before the rest goes to libpq, which would refuse them. A password written in the URL itself is refused:
/// configuration files are copied, printed and committed, so secrets live in a file or the environment.
struct PostgresLocation: Sendable, Equatable {
    /// The URL without the gateway's parameters, as libpq reads it.
    var conninfo: String
    var password: SecretReference?
    var poolSize: Int

    static let defaultPoolSize = 8

    init(url: String) throws(StoreError) {
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
            throw Self.invalid("must start with postgres://")
        }
        let parts = url.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let base = String(parts[0])
        let authority = base.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first ?? ""
        if let userInfo = authority.split(separator: "@", omittingEmptySubsequences: false).dropLast().last,
            userInfo.contains(":")
        {
            throw Self.invalid(
                "a password is never written in the store URL; name a file with password_file=PATH "
                    + "or an environment variable with password_env=NAME")
        }

        var kept: [Substring] = []
        var password: SecretReference?
        var poolSize = Self.defaultPoolSize
        for item in parts.count > 1 ? parts[1].split(separator: "&") : [] {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = pair[0]
            let value = pair.count > 1 ? (String(pair[1]).removingPercentEncoding ?? String(pair[1])) : ""
            switch name {
            case "password":
                throw Self.invalid(
                    "a password is never written in the store URL; use password_file=PATH or password_env=NAME")
            case "password_file", "password_env":
                guard password == nil else { throw Self.invalid("give password_file or password_env, not both") }
                guard !value.isEmpty else { throw Self.invalid("\(name) is empty") }
                password = name == "password_file" ? .file(value) : .environment(value)
            case "pool_size":
                guard let size = Int(value), (1...256).contains(size) else {
                    throw Self.invalid("pool_size must be a whole number from 1 to 256")
                }
                poolSize = size
            default:
                kept.append(item)
            }
        }
        conninfo = kept.isEmpty ? base : base + "?" + kept.joined(separator: "&")
        self.password = password
        self.poolSize = poolSize
    }

    private static func invalid(_ reason: String) -> StoreError {
        StoreError(operation: "store URL", message: reason)
    }
}
