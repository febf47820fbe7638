/// A configuration file that cannot be used, with the file, the line and the key at fault.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int
    /// The dotted key at fault, such as `destinations[1].auth.bearer`.
    public let key: String
    public let reason: String

    public init(file: String, line: Int, key: String, reason: String) {
        self.file = file
        self.line = line
        self.key = key
        self.reason = reason
    }

    public var description: String {
        key.isEmpty ? "\(file):\(line): \(reason)" : "\(file):\(line): \(key): \(reason)"
    }
}
