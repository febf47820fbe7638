/// A mapping or code-list file that cannot be used, or a value a code list cannot map.
public enum MappingError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case yaml(file: String, line: Int, reason: String)
    /// A file that parses but breaks the mapping-file rules: a missing key, a wrong type, an unknown field.
    case invalid(file: String, line: Int, reason: String)
    case noMapping(format: String)
    /// A value with no entry in a code list, in the direction being converted.
    case unmapped(list: String, value: String, direction: CodeListMapping.Direction)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): "\(file): cannot read: \(reason)"
        case .yaml(let file, let line, let reason): "\(file):\(line): YAML: \(reason)"
        case .invalid(let file, let line, let reason): "\(file):\(line): \(reason)"
        case .noMapping(let format): "format \(format) has no mapping file"
        case .unmapped(let list, let value, let direction):
            direction == .toCanonical
                ? "\"\(value)\" has no mapping in code list \(list)"
                : "canonical code \"\(value)\" has no mapping in code list \(list)"
        }
    }
}
