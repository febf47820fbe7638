import CYAML

/// A parsed YAML document: scalars, sequences and mappings, each with the line it started on.
///
/// Mapping and code-list files are small, so they are parsed whole into this tree. Anchors and aliases are
/// refused: a mapping file should read top to bottom.
public indirect enum YAMLNode: Sendable, Equatable {
    case scalar(String, line: Int)
    case sequence([YAMLNode], line: Int)
    case mapping([(key: String, value: YAMLNode)], line: Int)

    public var line: Int {
        switch self {
        case .scalar(_, let line), .sequence(_, let line), .mapping(_, let line): line
        }
    }

    public var scalar: String? {
        if case .scalar(let text, _) = self { return text }
        return nil
    }

    public var items: [YAMLNode]? {
        if case .sequence(let items, _) = self { return items }
        return nil
    }

    public var pairs: [(key: String, value: YAMLNode)]? {
        if case .mapping(let pairs, _) = self { return pairs }
        return nil
    }

    /// The value of `key` in a mapping node.
    public subscript(key: String) -> YAMLNode? {
        pairs?.first { $0.key == key }?.value
    }

    public static func == (lhs: YAMLNode, rhs: YAMLNode) -> Bool {
        switch (lhs, rhs) {
        case (.scalar(let a, _), .scalar(let b, _)): a == b
        case (.sequence(let a, _), .sequence(let b, _)): a == b
        case (.mapping(let a, _), .mapping(let b, _)):
            a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    /// Parses one YAML document with libyaml; `name` is used in error messages.
    public static func parse(_ text: String, name: String) throws(MappingError) -> YAMLNode {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw .yaml(file: name, line: 0, reason: "parser init failed")
        }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { (buffer) throws(MappingError) -> YAMLNode in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = YAMLTreeBuilder(name: name)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    let reason = parser.problem.map { String(cString: $0) } ?? "syntax error"
                    throw .yaml(file: name, line: Int(parser.problem_mark.line) + 1, reason: reason)
                }
                defer { yaml_event_delete(&event) }
                if try builder.consume(event) { break }
            }
            guard let root = builder.root else { throw .yaml(file: name, line: 1, reason: "the file is empty") }
            return root
        }
    }
}

/// Turns libyaml's event stream into a `YAMLNode` tree.
private struct YAMLTreeBuilder {
    private enum Frame {
        case sequence([YAMLNode], line: Int)
        case mapping([(key: String, value: YAMLNode)], pendingKey: String?, line: Int)
    }

    let name: String
    private var stack: [Frame] = []
    private(set) var root: YAMLNode?

    init(name: String) {
        self.name = name
    }

    /// Takes one event; returns true at the end of the stream.
    mutating func consume(_ event: yaml_event_t) throws(MappingError) -> Bool {
        let line = Int(event.start_mark.line) + 1
        switch event.type {
        case YAML_STREAM_END_EVENT:
            return true
        case YAML_SCALAR_EVENT:
            let value = event.data.scalar
            let text = String(
                decoding: UnsafeBufferPointer(start: value.value, count: value.length),
                as: UTF8.self
            )
            try add(.scalar(text, line: line), line: line)
        case YAML_SEQUENCE_START_EVENT:
            stack.append(.sequence([], line: line))
        case YAML_MAPPING_START_EVENT:
            stack.append(.mapping([], pendingKey: nil, line: line))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let frame = stack.popLast() else { throw .yaml(file: name, line: line, reason: "unbalanced") }
            switch frame {
            case .sequence(let items, let start): try add(.sequence(items, line: start), line: line)
            case .mapping(let pairs, _, let start): try add(.mapping(pairs, line: start), line: line)
            }
        case YAML_ALIAS_EVENT:
            throw .yaml(file: name, line: line, reason: "anchors and aliases are not supported in mapping files")
        case YAML_DOCUMENT_START_EVENT:
            if root != nil { throw .yaml(file: name, line: line, reason: "one document per file") }
        default:
            break
        }
        return false
    }

    private mutating func add(_ node: YAMLNode, line: Int) throws(MappingError) {
        guard let top = stack.popLast() else {
            root = node
            return
        }
        switch top {
        case .sequence(var items, let start):
            items.append(node)
            stack.append(.sequence(items, line: start))
        case .mapping(var pairs, let pendingKey, let start):
            if let pendingKey {
                if pairs.contains(where: { $0.key == pendingKey }) {
                    throw .yaml(file: name, line: line, reason: "key \"\(pendingKey)\" appears twice")
                }
                pairs.append((pendingKey, node))
                stack.append(.mapping(pairs, pendingKey: nil, line: start))
            } else {
                guard let key = node.scalar else { throw .yaml(file: name, line: line, reason: "a key must be text") }
                stack.append(.mapping(pairs, pendingKey: key, line: start))
            }
        }
    }
}
