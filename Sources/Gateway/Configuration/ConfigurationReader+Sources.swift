import Adapters
import Foundation

extension ConfigurationReader {
    func source(_ node: YAMLNode, key: String) throws(ConfigurationError) -> GatewayConfiguration.Source {
        let fields = try mapping(
            node, key: key,
            allowed: [
                "name", "kind", "path", "url", "credentials", "schedule", "format", "mapping", "to",
            ])
        func text(_ name: String) throws(ConfigurationError) -> String? {
            try fields[name].map { (node) throws(ConfigurationError) in try scalar(node, key: key + "." + name) }
        }
        let name = try scalar(try required(fields["name"], in: node, key: key + ".name"), key: key + ".name")
        let kindNode = try required(fields["kind"], in: node, key: key + ".kind")
        let kindText = try scalar(kindNode, key: key + ".kind")
        guard let kind = GatewayConfiguration.Source.Kind(rawValue: kindText) else {
            let known = GatewayConfiguration.Source.Kind.allCases.map(\.rawValue).joined(separator: ", ")
            throw fail(kindNode, key + ".kind", "unknown source kind \"\(kindText)\" (known: \(known))")
        }
        var source = GatewayConfiguration.Source(
            name: name,
            kind: kind,
            path: try text("path").map(path),
            url: try text("url"),
            credentials: try text("credentials").map(path),
            format: try text("format") ?? kind.rawValue,
            mapping: try text("mapping").map(path),
            to: try fields["to"].map { (node) throws(ConfigurationError) in try strings(node, key: key + ".to") },
            line: node.line
        )
        if let schedule = fields["schedule"] {
            source.schedule = try self.schedule(schedule, key: key + ".schedule")
        }
        switch kind {
        case .directory:
            guard source.path != nil else { throw fail(node, key + ".path", "a directory source needs a path") }
            guard fields["format"] != nil else {
                throw fail(node, key + ".format", "a directory source needs the format of its files, such as scope-csv")
            }
        case .ping, .primero:
            guard let url = source.url, url.hasPrefix("https://") || url.hasPrefix("http://") else {
                throw fail(node, key + ".url", "a \(kind.rawValue) source needs an http(s):// url")
            }
            guard source.credentials != nil else {
                throw fail(node, key + ".credentials", "a \(kind.rawValue) source needs a credentials file")
            }
        }
        return source
    }

    private func schedule(_ node: YAMLNode, key: String) throws(ConfigurationError)
        -> GatewayConfiguration.Source.Schedule
    {
        let fields = try mapping(node, key: key, allowed: ["interval", "jitter"])
        let intervalNode = try required(fields["interval"], in: node, key: key + ".interval")
        let interval = try seconds(intervalNode, key: key + ".interval")
        guard interval > 0 else { throw fail(intervalNode, key + ".interval", "must be longer than zero") }
        let jitter = try fields["jitter"].map { (node) throws(ConfigurationError) in
            try seconds(node, key: key + ".jitter")
        }
        return .init(intervalSeconds: interval, jitterSeconds: jitter ?? 0)
    }

    /// Source names are unique, and every destination a source names exists.
    func checkSources(
        _ configuration: GatewayConfiguration, root: YAMLNode, destinations: Set<String>
    ) throws(ConfigurationError) {
        var names: Set<String> = []
        for (index, source) in configuration.sources.enumerated() {
            guard names.insert(source.name).inserted else {
                throw ConfigurationError(
                    file: file, line: source.line, key: "sources[\(index)].name",
                    reason: "source \"\(source.name)\" appears twice")
            }
            for name in source.to ?? [] where !destinations.contains(name) {
                throw ConfigurationError(
                    file: file, line: source.line, key: "sources[\(index)].to",
                    reason: "no destination is named \"\(name)\"")
            }
        }
    }
}
