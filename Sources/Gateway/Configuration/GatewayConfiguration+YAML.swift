import Adapters
import Foundation

extension GatewayConfiguration {
    /// Reads and checks a configuration file; every error names the file, the line and the key.
    public static func load(path: String) throws(ConfigurationError) -> GatewayConfiguration {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError(file: path, line: 0, key: "", reason: "cannot read the file")
        }
        return try parse(text, file: path)
    }

    /// Parses configuration text; relative paths are resolved against the folder of `file`.
    public static func parse(_ text: String, file: String) throws(ConfigurationError) -> GatewayConfiguration {
        let root: YAMLNode
        do {
            root = try YAMLNode.parse(text, name: file)
        } catch {
            if case .yaml(_, let line, let reason) = error {
                throw ConfigurationError(file: file, line: line, key: "", reason: "YAML: \(reason)")
            }
            throw ConfigurationError(file: file, line: 0, key: "", reason: error.description)
        }
        let base = URL(fileURLWithPath: file).deletingLastPathComponent()
        return try ConfigurationReader(file: file, base: base).configuration(root)
    }
}

/// Walks the YAML tree of a configuration file, keeping the dotted key for messages.
struct ConfigurationReader {
    let file: String
    let base: URL

    func configuration(_ root: YAMLNode) throws(ConfigurationError) -> GatewayConfiguration {
        let top = try mapping(
            root, key: "",
            allowed: [
                "listeners", "store", "storeKey", "previousStoreKeys", "ledger", "retention", "clients",
                "destinations", "routes", "delivery", "sources",
            ])
        var configuration = GatewayConfiguration(
            file: file,
            store: try store(top["store"], line: root.line)
        )
        if let node = top["storeKey"] { configuration.storeKey = try secret(node, key: "storeKey") }
        if let node = top["previousStoreKeys"] {
            guard configuration.storeKey != nil else {
                throw fail(node, "previousStoreKeys", "needs a storeKey: the previous keys only open what they sealed")
            }
            configuration.previousStoreKeys = try list(node, key: "previousStoreKeys").enumerated().map {
                (index, item) throws(ConfigurationError) in try secret(item, key: "previousStoreKeys[\(index)]")
            }
        }
        configuration.ledgerDirectory = path("ledger")
        if let node = top["ledger"] {
            let fields = try mapping(node, key: "ledger", allowed: ["directory", "segmentMegabytes"])
            if let directory = fields["directory"] {
                configuration.ledgerDirectory = path(try scalar(directory, key: "ledger.directory"))
            }
            if let size = fields["segmentMegabytes"] {
                guard let megabytes = Int(try scalar(size, key: "ledger.segmentMegabytes")), megabytes >= 1 else {
                    throw fail(size, "ledger.segmentMegabytes", "must be a whole number of MiB, 1 or more")
                }
                configuration.ledgerSegmentBytes = megabytes << 20
            }
        }
        configuration.listeners = try list(top["listeners"], key: "listeners").enumerated().map {
            (index, node) throws(ConfigurationError) in try listener(node, key: "listeners[\(index)]")
        }
        configuration.clients = try list(top["clients"], key: "clients").enumerated().map {
            (index, node) throws(ConfigurationError) in try client(node, key: "clients[\(index)]")
        }
        configuration.destinations = try list(top["destinations"], key: "destinations").enumerated().map {
            (index, node) throws(ConfigurationError) in try destination(node, key: "destinations[\(index)]")
        }
        configuration.routes = try list(top["routes"], key: "routes").enumerated().map {
            (index, node) throws(ConfigurationError) in try route(node, key: "routes[\(index)]")
        }
        if let node = top["delivery"] { configuration.delivery = try delivery(node, key: "delivery") }
        if let node = top["retention"] {
            let fields = try mapping(node, key: "retention", allowed: ["payloadDays", "batchDays", "sweepSeconds"])
            if let days = fields["payloadDays"] {
                configuration.retention.payloadDays = try self.days(days, key: "retention.payloadDays")
            }
            if let days = fields["batchDays"] {
                configuration.retention.batchDays = try self.days(days, key: "retention.batchDays")
            }
            if let every = fields["sweepSeconds"] {
                configuration.retention.sweepSeconds = try seconds(every, key: "retention.sweepSeconds")
            }
        }
        configuration.sources = try list(top["sources"], key: "sources").enumerated().map {
            (index, node) throws(ConfigurationError) in try source(node, key: "sources[\(index)]")
        }
        try checkReferences(configuration, root: root)
        return configuration
    }

    // MARK: - Sections

    private func store(_ node: YAMLNode?, line: Int) throws(ConfigurationError) -> GatewayConfiguration.StoreLocation {
        guard let node else { return .sqlite(path: path("outbox.sqlite")) }
        let text = try scalar(node, key: "store")
        if text.hasPrefix("sqlite:") { return .sqlite(path: path(String(text.dropFirst("sqlite:".count)))) }
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") { return .postgres(url: text) }
        throw fail(node, "store", "must be sqlite:PATH or postgres://…")
    }

    private func listener(_ node: YAMLNode, key: String) throws(ConfigurationError) -> GatewayConfiguration.Listener {
        let fields = try mapping(
            node, key: key, allowed: ["host", "port", "tls", "maximumBodyBytes", "threads", "threadPerConnection"])
        let threadPerConnection =
            try fields["threadPerConnection"].map { (node) throws(ConfigurationError) in
                try boolean(node, key: key + ".threadPerConnection")
            } ?? false
        var threads = 8
        if let count = fields["threads"] {
            threads = try integer(count, key: key + ".threads")
            guard (1...256).contains(threads) else { throw fail(count, key + ".threads", "must be between 1 and 256") }
        }
        var maximumBodyBytes = 16 << 20
        if let limit = fields["maximumBodyBytes"] {
            maximumBodyBytes = try integer(limit, key: key + ".maximumBodyBytes")
            guard maximumBodyBytes > 0 else { throw fail(limit, key + ".maximumBodyBytes", "must be positive") }
        }
        let host = try fields["host"].map { (node) throws(ConfigurationError) in try scalar(node, key: key + ".host") }
        let port = try integer(try required(fields["port"], in: node, key: key + ".port"), key: key + ".port")
        guard (0...65535).contains(port) else { throw fail(node, key + ".port", "must be between 0 and 65535") }
        guard let tlsNode = try required(fields["tls"], in: node, key: key + ".tls") as YAMLNode?,
            tlsNode.scalar != "off"
        else {
            return .init(
                host: host ?? "127.0.0.1", port: UInt16(port), tls: nil, maximumBodyBytes: maximumBodyBytes,
                threads: threads, threadPerConnection: threadPerConnection)
        }
        let tls = try mapping(
            tlsNode, key: key + ".tls",
            allowed: [
                "certificate", "key", "clientCA", "requireClientCertificate",
            ])
        return .init(
            host: host ?? "127.0.0.1",
            port: UInt16(port),
            tls: .init(
                certificate: path(
                    try scalar(
                        try required(tls["certificate"], in: tlsNode, key: key + ".tls.certificate"),
                        key: key + ".tls.certificate")),
                key: path(
                    try scalar(try required(tls["key"], in: tlsNode, key: key + ".tls.key"), key: key + ".tls.key")),
                clientCA: try tls["clientCA"].map { (node) throws(ConfigurationError) in
                    path(try scalar(node, key: key + ".tls.clientCA"))
                },
                requireClientCertificate: try tls["requireClientCertificate"].map {
                    (node) throws(ConfigurationError) in try boolean(node, key: key + ".tls.requireClientCertificate")
                } ?? false
            ),
            maximumBodyBytes: maximumBodyBytes,
            threads: threads,
            threadPerConnection: threadPerConnection
        )
    }

    private func client(_ node: YAMLNode, key: String) throws(ConfigurationError) -> GatewayConfiguration.Client {
        let fields = try mapping(
            node, key: key,
            allowed: [
                "name", "tokenHashes", "certificateFingerprints", "formats", "requestsPerSecond", "operator", "token",
            ])
        if let inline = fields["token"] {
            throw fail(inline, key + ".token", "tokens are never written in the configuration; give tokenHashes")
        }
        let name = try scalar(try required(fields["name"], in: node, key: key + ".name"), key: key + ".name")
        let hashes = try list(fields["tokenHashes"], key: key + ".tokenHashes").enumerated().map {
            (index, item) throws(ConfigurationError) -> TokenHash in
            let itemKey = key + ".tokenHashes[\(index)]"
            guard let hash = TokenHash(try scalar(item, key: itemKey)) else {
                throw fail(item, itemKey, "must be sha256:HEX or blake2b:HEX (64 hex digits)")
            }
            return hash
        }
        let fingerprints = try list(fields["certificateFingerprints"], key: key + ".certificateFingerprints")
            .enumerated().map { (index, item) throws(ConfigurationError) -> String in
                let itemKey = key + ".certificateFingerprints[\(index)]"
                let text = try scalar(item, key: itemKey).lowercased().replacingOccurrences(of: ":", with: "")
                guard TokenHash.bytes(fromHex: text)?.count == 32 else {
                    throw fail(item, itemKey, "must be a SHA-256 fingerprint (64 hex digits)")
                }
                return text
            }
        if hashes.isEmpty && fingerprints.isEmpty {
            throw fail(node, key, "a client needs tokenHashes or certificateFingerprints")
        }
        let formats = try strings(
            try required(fields["formats"], in: node, key: key + ".formats"), key: key + ".formats")
        var rate = 50.0
        if let node = fields["requestsPerSecond"] {
            guard let value = Double(try scalar(node, key: key + ".requestsPerSecond")), value > 0 else {
                throw fail(node, key + ".requestsPerSecond", "must be a positive number")
            }
            rate = value
        }
        let isOperator = try fields["operator"].map { (node) throws(ConfigurationError) in
            try boolean(node, key: key + ".operator")
        }
        return .init(
            name: name, tokenHashes: hashes, certificateFingerprints: fingerprints, formats: formats,
            requestsPerSecond: rate, isOperator: isOperator ?? false)
    }

    private func destination(_ node: YAMLNode, key: String) throws(ConfigurationError)
        -> GatewayConfiguration.Destination
    {
        let fields = try mapping(
            node, key: key,
            allowed: [
                "name", "kind", "url", "directory", "auth", "caCertificate", "clientCertificate", "clientKey", "ping",
                "format", "mapping", "agreement", "pseudonymKey", "retry",
            ])
        func text(_ name: String) throws(ConfigurationError) -> String? {
            try fields[name].map { (node) throws(ConfigurationError) in try scalar(node, key: key + "." + name) }
        }
        let name = try scalar(try required(fields["name"], in: node, key: key + ".name"), key: key + ".name")
        let kindNode = try required(fields["kind"], in: node, key: key + ".kind")
        let kind = try scalar(kindNode, key: key + ".kind")
        var destination = GatewayConfiguration.Destination(
            name: name,
            kind: kind,
            url: try text("url"),
            directory: try text("directory").map(path),
            caCertificate: try text("caCertificate").map(path),
            clientCertificate: try text("clientCertificate").map(path),
            clientKey: try text("clientKey").map(path),
            format: try scalar(try required(fields["format"], in: node, key: key + ".format"), key: key + ".format"),
            mapping: try text("mapping").map(path),
            agreement: try text("agreement").map(path),
            line: node.line
        )
        if let auth = fields["auth"] { destination.auth = try self.auth(auth, key: key + ".auth") }
        if let secret = fields["pseudonymKey"] {
            destination.pseudonymKey = try self.secret(secret, key: key + ".pseudonymKey")
        }
        if let retry = fields["retry"] { destination.retry = try self.retry(retry, key: key + ".retry") }
        if let ping = fields["ping"] {
            guard kind == "ping" else { throw fail(ping, key + ".ping", "only a ping destination takes ping:") }
            destination.ping = try pingIdentifiers(ping, key: key + ".ping")
        }
        if (destination.clientCertificate == nil) != (destination.clientKey == nil) {
            throw fail(node, key + ".clientCertificate", "clientCertificate and clientKey go together")
        }
        if let certificate = fields["clientCertificate"], kind != "ping" {
            throw fail(
                certificate, key + ".clientCertificate",
                "only a ping destination takes clientCertificate; an \(kind) destination gives auth.clientCertificate")
        }
        switch kind {
        case "http", "primero":
            guard let url = destination.url, url.hasPrefix("https://") || url.hasPrefix("http://") else {
                throw fail(
                    node, key + ".url", "a\(kind == "http" ? "n" : "") \(kind) destination needs an http(s):// url")
            }
        case "ping":
            guard let url = destination.url, url.hasPrefix("https://") else {
                throw fail(node, key + ".url", "a ping destination needs an https:// url")
            }
            guard destination.ping != nil else {
                throw fail(node, key + ".ping.partnerId", "a ping destination needs ping: {partnerId: …}")
            }
            guard destination.format == PINGFormat.name else {
                throw fail(node, key + ".format", "a ping destination receives \(PINGFormat.name)")
            }
        case "file":
            guard destination.directory != nil else {
                throw fail(node, key + ".directory", "a file destination needs a directory")
            }
        default:
            break
        }
        return destination
    }

    private func auth(_ node: YAMLNode, key: String) throws(ConfigurationError) -> GatewayConfiguration.DestinationAuth
    {
        let fields = try mapping(node, key: key, allowed: ["basic", "bearer", "clientCertificate"])
        guard fields.pairs?.count == 1, let (method, value) = fields.pairs?.first.map({ ($0.key, $0.value) }) else {
            throw fail(node, key, "give exactly one of basic, bearer, clientCertificate")
        }
        switch method {
        case "bearer":
            return .bearer(try secret(value, key: key + ".bearer"))
        case "basic":
            let basic = try mapping(value, key: key + ".basic", allowed: ["user", "password"])
            let user = try scalar(
                try required(basic["user"], in: value, key: key + ".basic.user"), key: key + ".basic.user")
            let password = try secret(
                try required(basic["password"], in: value, key: key + ".basic.password"), key: key + ".basic.password")
            return .basic(user: user, password: password)
        default:
            let pair = try mapping(value, key: key + ".clientCertificate", allowed: ["certificate", "key"])
            return .clientCertificate(
                certificate: path(
                    try scalar(
                        try required(pair["certificate"], in: value, key: key + ".clientCertificate.certificate"),
                        key: key + ".clientCertificate.certificate")),
                key: path(
                    try scalar(
                        try required(pair["key"], in: value, key: key + ".clientCertificate.key"),
                        key: key + ".clientCertificate.key"))
            )
        }
    }

    private func pingIdentifiers(_ node: YAMLNode, key: String) throws(ConfigurationError)
        -> GatewayConfiguration.PINGIdentifiers
    {
        let fields = try mapping(node, key: key, allowed: ["partnerId", "shippingProcessId", "interopId"])
        func text(_ name: String) throws(ConfigurationError) -> String? {
            try fields[name].map { (node) throws(ConfigurationError) in try scalar(node, key: key + "." + name) }
        }
        return .init(
            partnerId: try scalar(
                try required(fields["partnerId"], in: node, key: key + ".partnerId"), key: key + ".partnerId"),
            shippingProcessId: try text("shippingProcessId"),
            interopId: try text("interopId")
        )
    }

    func secret(_ node: YAMLNode, key: String) throws(ConfigurationError) -> SecretReference {
        guard node.pairs != nil else {
            throw fail(node, key, "secrets are never written in the configuration; give {file: PATH} or {env: NAME}")
        }
        let fields = try mapping(node, key: key, allowed: ["file", "env"])
        if let file = fields["file"] { return .file(path(try scalar(file, key: key + ".file"))) }
        if let name = fields["env"] { return .environment(try scalar(name, key: key + ".env")) }
        throw fail(node, key, "give {file: PATH} or {env: NAME}")
    }

    private func retry(_ node: YAMLNode, key: String) throws(ConfigurationError) -> RetryPolicy {
        let fields = try mapping(node, key: key, allowed: ["maxAttempts", "initialDelay", "maxDelay"])
        var policy = RetryPolicy()
        if let node = fields["maxAttempts"] {
            policy.maxAttempts = try integer(node, key: key + ".maxAttempts")
            guard policy.maxAttempts >= 1 else { throw fail(node, key + ".maxAttempts", "must be at least 1") }
        }
        if let node = fields["initialDelay"] {
            policy.initialDelaySeconds = try seconds(node, key: key + ".initialDelay")
        }
        if let node = fields["maxDelay"] { policy.maxDelaySeconds = try seconds(node, key: key + ".maxDelay") }
        return policy
    }

    private func route(_ node: YAMLNode, key: String) throws(ConfigurationError) -> GatewayConfiguration.Route {
        let fields = try mapping(node, key: key, allowed: ["from", "to"])
        return .init(
            from: try scalar(try required(fields["from"], in: node, key: key + ".from"), key: key + ".from"),
            to: try strings(try required(fields["to"], in: node, key: key + ".to"), key: key + ".to")
        )
    }

    private func delivery(_ node: YAMLNode, key: String) throws(ConfigurationError)
        -> GatewayConfiguration.DeliverySettings
    {
        let fields = try mapping(
            node, key: key, allowed: ["workers", "leaseSeconds", "claimSize", "pollSeconds", "pauseProbeSeconds"])
        var settings = GatewayConfiguration.DeliverySettings()
        if let node = fields["workers"] { settings.workers = max(1, try integer(node, key: key + ".workers")) }
        if let node = fields["leaseSeconds"] { settings.leaseSeconds = try seconds(node, key: key + ".leaseSeconds") }
        if let node = fields["claimSize"] { settings.claimSize = max(1, try integer(node, key: key + ".claimSize")) }
        if let node = fields["pollSeconds"] { settings.pollSeconds = try seconds(node, key: key + ".pollSeconds") }
        if let node = fields["pauseProbeSeconds"] {
            settings.pauseProbeSeconds = try seconds(node, key: key + ".pauseProbeSeconds")
        }
        return settings
    }

    private func checkReferences(_ configuration: GatewayConfiguration, root: YAMLNode) throws(ConfigurationError) {
        var seen: Set<String> = []
        for destination in configuration.destinations {
            guard seen.insert(destination.name).inserted else {
                throw ConfigurationError(
                    file: file, line: destination.line, key: "destinations",
                    reason: "destination \"\(destination.name)\" appears twice")
            }
        }
        let routes = root["routes"]?.items ?? []
        for (index, route) in configuration.routes.enumerated() {
            for name in route.to where !seen.contains(name) {
                throw ConfigurationError(
                    file: file, line: routes[index].line, key: "routes[\(index)].to",
                    reason: "no destination is named \"\(name)\"")
            }
        }
        try checkSources(configuration, root: root, destinations: seen)
    }

    // MARK: - Node helpers

    func fail(_ node: YAMLNode, _ key: String, _ reason: String) -> ConfigurationError {
        ConfigurationError(file: file, line: node.line, key: key, reason: reason)
    }

    func path(_ text: String) -> String {
        text.hasPrefix("/") ? text : base.appendingPathComponent(text).standardizedFileURL.path
    }

    func mapping(_ node: YAMLNode, key: String, allowed: Set<String>) throws(ConfigurationError) -> YAMLNode {
        guard let pairs = node.pairs else { throw fail(node, key, "must be a mapping of keys to values") }
        for pair in pairs where !allowed.contains(pair.key) {
            let prefix = key.isEmpty ? "" : key + "."
            throw fail(
                pair.value, prefix + pair.key, "unknown key (known: \(allowed.sorted().joined(separator: ", ")))")
        }
        return node
    }

    func required(_ node: YAMLNode?, in parent: YAMLNode, key: String) throws(ConfigurationError) -> YAMLNode {
        guard let node else { throw fail(parent, key, "required key is missing") }
        return node
    }

    func list(_ node: YAMLNode?, key: String) throws(ConfigurationError) -> [YAMLNode] {
        guard let node else { return [] }
        guard let items = node.items else { throw fail(node, key, "must be a list") }
        return items
    }

    func scalar(_ node: YAMLNode, key: String) throws(ConfigurationError) -> String {
        guard let text = node.scalar, !text.isEmpty else { throw fail(node, key, "must be a non-empty value") }
        return text
    }

    func strings(_ node: YAMLNode, key: String) throws(ConfigurationError) -> [String] {
        if let text = node.scalar { return [text] }
        return try list(node, key: key).enumerated().map { (index, item) throws(ConfigurationError) in
            try scalar(item, key: key + "[\(index)]")
        }
    }

    func integer(_ node: YAMLNode, key: String) throws(ConfigurationError) -> Int {
        guard let value = Int(try scalar(node, key: key)) else { throw fail(node, key, "must be a whole number") }
        return value
    }

    func boolean(_ node: YAMLNode, key: String) throws(ConfigurationError) -> Bool {
        switch try scalar(node, key: key) {
        case "true", "yes": return true
        case "false", "no": return false
        default: throw fail(node, key, "must be true or false")
        }
    }

    /// A number of days, 0 or more (fractions allowed).
    func days(_ node: YAMLNode, key: String) throws(ConfigurationError) -> Double {
        guard let value = Double(try scalar(node, key: key)), value >= 0 else {
            throw fail(node, key, "must be a number of days, 0 or more")
        }
        return value
    }

    /// A duration: a number of seconds, or a number followed by `ms`, `s`, `m` or `h`.
    func seconds(_ node: YAMLNode, key: String) throws(ConfigurationError) -> Double {
        let text = try scalar(node, key: key)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count)), value >= 0 { return value * factor }
        }
        guard let value = Double(text), value >= 0 else {
            throw fail(node, key, "must be a duration such as 30s, 500ms, 5m")
        }
        return value
    }
}
