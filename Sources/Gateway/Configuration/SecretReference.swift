import Foundation

/// Where a secret is read from: a file (first line) or an environment variable, never the configuration.
public enum SecretReference: Sendable, Equatable, CustomStringConvertible {
    case file(String)
    case environment(String)

    /// Reads the secret; the error names where it looked, never the secret.
    public func read(environment: [String: String] = ProcessInfo.processInfo.environment) throws(SecretError) -> String
    {
        switch self {
        case .file(let path):
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw .unreadable(description) }
            let secret = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            guard !secret.isEmpty else { throw .empty(description) }
            return secret
        case .environment(let name):
            guard let secret = environment[name], !secret.isEmpty else { throw .empty(description) }
            return secret
        }
    }

    public var description: String {
        switch self {
        case .file(let path): "file \(path)"
        case .environment(let name): "environment variable \(name)"
        }
    }
}

/// A secret that cannot be read.
public enum SecretError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(String)
    case empty(String)

    public var description: String {
        switch self {
        case .unreadable(let place): "cannot read the secret from \(place)"
        case .empty(let place): "the secret in \(place) is empty or missing"
        }
    }
}
