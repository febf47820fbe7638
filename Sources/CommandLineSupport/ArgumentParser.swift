/// A verb's command-line interface: its options and positional arguments, and the help text built from them.
public struct CommandSpec: Sendable {
    public struct Option: Sendable {
        public let long: String
        public let short: Character?
        /// The value's placeholder in help (`FILE`); nil for a flag that takes no value.
        public let valueName: String?
        public let help: String
        public let required: Bool

        public init(
            _ long: String, short: Character? = nil, value valueName: String? = nil, required: Bool = false,
            help: String
        ) {
            self.long = long
            self.short = short
            self.valueName = valueName
            self.help = help
            self.required = required
        }
    }

    public struct Positional: Sendable {
        public let name: String
        public let help: String
        public let optional: Bool

        public init(_ name: String, optional: Bool = true, help: String) {
            self.name = name
            self.help = help
            self.optional = optional
        }
    }

    public let name: String
    public let summary: String
    public let options: [Option]
    public let positionals: [Positional]

    public init(name: String, summary: String, options: [Option] = [], positionals: [Positional] = []) {
        self.name = name
        self.summary = summary
        self.options = options
        self.positionals = positionals
    }

    /// The one-line synopsis: `primes-gateway convert --from F --to T [--mapping FILE] [INPUT]`.
    public func synopsis(program: String) -> String {
        var words = [program, name]
        for option in options {
            let text = option.valueName.map { "--\(option.long) \($0)" } ?? "--\(option.long)"
            words.append(option.required ? text : "[\(text)]")
        }
        for positional in positionals { words.append(positional.optional ? "[\(positional.name)]" : positional.name) }
        return words.joined(separator: " ")
    }

    /// The full help of the verb, as `--help` prints it.
    public func help(program: String) -> String {
        var lines = ["usage: \(synopsis(program: program))", "", summary]
        if !positionals.isEmpty {
            lines.append("")
            lines.append("arguments:")
            for positional in positionals { lines.append("  " + positional.name.padded(to: 24) + positional.help) }
        }
        lines.append("")
        lines.append("options:")
        for option in options + [Option("help", short: "h", help: "show this help")] {
            var flag = option.short.map { "-\($0), " } ?? ""
            flag += "--\(option.long)" + (option.valueName.map { " \($0)" } ?? "")
            lines.append("  " + flag.padded(to: 24) + option.help)
        }
        return lines.joined(separator: "\n")
    }

    /// Parses `arguments` (the words after the verb).
    ///
    /// Accepts `--name value`, `--name=value` and `-x value`; `-` is a positional (standard input or output)
    /// and `--` ends the options.
    public func parse(_ arguments: [String]) throws(UsageError) -> ParsedArguments {
        var parsed = ParsedArguments()
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let word = arguments[index]
            index += 1
            if optionsEnded || word == "-" || !word.hasPrefix("-") {
                parsed.positionals.append(word)
                continue
            }
            if word == "--" {
                optionsEnded = true
                continue
            }
            if word == "--help" || word == "-h" {
                parsed.helpRequested = true
                continue
            }
            var name = word.hasPrefix("--") ? String(word.dropFirst(2)) : String(word.dropFirst())
            var inlineValue: String?
            if word.hasPrefix("--"), let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            let option =
                word.hasPrefix("--")
                ? options.first { $0.long == name }
                : options.first { name.count == 1 && $0.short == name.first }
            guard let option else { throw .unknownOption(word, command: self.name) }
            guard option.valueName != nil else {
                if inlineValue != nil { throw .unexpectedValue(option: option.long, command: self.name) }
                parsed.flags.insert(option.long)
                continue
            }
            if let inlineValue {
                parsed.values[option.long] = inlineValue
            } else {
                guard index < arguments.count, !arguments[index].hasPrefix("--") else {
                    throw .missingValue(option: option.long, command: self.name)
                }
                parsed.values[option.long] = arguments[index]
                index += 1
            }
        }
        if parsed.helpRequested { return parsed }
        for option in options where option.required && parsed.values[option.long] == nil {
            throw .missingOption(option.long, command: name)
        }
        if parsed.positionals.count > positionals.count {
            throw .unexpectedArgument(parsed.positionals[positionals.count], command: name)
        }
        let required = positionals.filter { !$0.optional }.count
        if parsed.positionals.count < required {
            throw .missingArgument(positionals[parsed.positionals.count].name, command: name)
        }
        return parsed
    }
}

/// The arguments of one invocation, after parsing.
public struct ParsedArguments: Sendable {
    public var values: [String: String] = [:]
    public var flags: Set<String> = []
    public var positionals: [String] = []
    public var helpRequested = false

    public subscript(option: String) -> String? {
        values[option]
    }

    public func has(_ flag: String) -> Bool {
        flags.contains(flag)
    }
}

/// A command line that cannot be run as given; the CLI prints it with the verb's usage and exits 2.
public enum UsageError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownCommand(String)
    case unknownOption(String, command: String)
    case missingValue(option: String, command: String)
    case unexpectedValue(option: String, command: String)
    case missingOption(String, command: String)
    case missingArgument(String, command: String)
    case unexpectedArgument(String, command: String)
    case invalidValue(option: String, reason: String, command: String)

    /// The verb whose usage should follow the message, if any.
    public var command: String? {
        switch self {
        case .unknownCommand: nil
        case .unknownOption(_, let command), .missingValue(_, let command), .unexpectedValue(_, let command),
            .missingOption(_, let command), .missingArgument(_, let command), .unexpectedArgument(_, let command),
            .invalidValue(_, _, let command):
            command
        }
    }

    public var description: String {
        switch self {
        case .unknownCommand(let word): "unknown command \"\(word)\""
        case .unknownOption(let word, _): "unknown option \(word)"
        case .missingValue(let option, _): "option --\(option) needs a value"
        case .unexpectedValue(let option, _): "option --\(option) takes no value"
        case .missingOption(let option, _): "option --\(option) is required"
        case .missingArgument(let name, _): "missing argument \(name)"
        case .unexpectedArgument(let word, _): "unexpected argument \"\(word)\""
        case .invalidValue(let option, let reason, _): "option --\(option): \(reason)"
        }
    }
}

extension String {
    fileprivate func padded(to width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
