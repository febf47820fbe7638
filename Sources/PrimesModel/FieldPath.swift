/// A path to a field of a canonical record, as mapping files and data-sharing agreements name fields.
///
/// Segments are separated by dots. A segment may index a list (`nationalities[0]`) or select the first
/// element whose field has a value (`identifiers[scheme=unhcr.progres.individual]`): `name.family`,
/// `birthDate`, `identifiers[scheme=wfp.scope.member].value`, `location.levels[level=2].code`.
public struct FieldPath: Hashable, Sendable, CustomStringConvertible {
    public enum Segment: Hashable, Sendable {
        case key(String)
        case index(Int)
        case match(field: String, value: String)
    }

    public let segments: [Segment]
    public let description: String

    public init(_ text: String) throws(FieldPathError) {
        var segments: [Segment] = []
        for part in Self.splitOutsideBrackets(text) {
            var rest = part
            let open = rest.firstIndex(of: "[") ?? rest.endIndex
            let key = rest[..<open]
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw .malformed(text)
            }
            segments.append(.key(String(key)))
            rest = rest[open...]
            while !rest.isEmpty {
                guard rest.first == "[", let close = rest.firstIndex(of: "]") else { throw .malformed(text) }
                let inside = rest[rest.index(after: rest.startIndex)..<close]
                if let equals = inside.firstIndex(of: "=") {
                    let field = inside[..<equals]
                    let value = inside[inside.index(after: equals)...]
                    guard !field.isEmpty, !value.isEmpty else { throw .malformed(text) }
                    segments.append(.match(field: String(field), value: String(value)))
                } else if let index = Int(inside), index >= 0 {
                    segments.append(.index(index))
                } else {
                    throw .malformed(text)
                }
                rest = rest[rest.index(after: close)...]
            }
        }
        self.segments = segments
        self.description = text
    }

    /// Splits at dots that are not inside brackets: `identifiers[scheme=wfp.scope.member].value` has two parts.
    private static func splitOutsideBrackets(_ text: String) -> [Substring] {
        var parts: [Substring] = []
        var depth = 0
        var start = text.startIndex
        for index in text.indices {
            switch text[index] {
            case "[": depth += 1
            case "]": depth -= 1
            case "." where depth == 0:
                parts.append(text[start..<index])
                start = text.index(after: index)
            default: break
            }
        }
        parts.append(text[start...])
        return parts
    }

    /// The top-level key of a path given as text, without parsing the rest: `name` for `name.family`,
    /// `languages` for `languages[0].code`.
    public static func root(of text: String) -> String {
        String(text.prefix { $0 != "." && $0 != "[" })
    }

    /// The field's top-level key: `name` for `name.family`.
    public var root: String {
        if case .key(let key) = segments.first { return key }
        return ""
    }

    /// The value at this path, or nil when any step is missing.
    public func value(in root: JSONValue) -> JSONValue? {
        var current = root
        for segment in segments {
            guard let next = Self.step(current, segment) else { return nil }
            current = next
        }
        return current
    }

    /// Sets the value at this path, creating objects, list elements and matched elements on the way.
    public func set(_ value: JSONValue, in root: inout JSONValue) throws(FieldPathError) {
        root = try Self.setting(value, in: root, segments[...], path: description)
    }

    /// Removes the value at this path; missing steps are not an error.
    public func remove(from root: inout JSONValue) {
        root = Self.removing(from: root, segments[...])
    }

    private static func step(_ value: JSONValue, _ segment: Segment) -> JSONValue? {
        switch (segment, value) {
        case (.key(let key), .object(let object)): object[key]
        case (.index(let index), .array(let array)): index < array.count ? array[index] : nil
        case (.match(let field, let wanted), .array(let array)):
            array.first { element in
                if case .object(let object) = element { return object[field]?.scalarText == wanted }
                return false
            }
        default: nil
        }
    }

    private static func setting(
        _ value: JSONValue,
        in node: JSONValue,
        _ rest: ArraySlice<Segment>,
        path: String
    ) throws(FieldPathError) -> JSONValue {
        guard let segment = rest.first else { return value }
        let tail = rest.dropFirst()
        switch segment {
        case .key(let key):
            var object: [String: JSONValue]
            switch node {
            case .object(let existing): object = existing
            case .null: object = [:]
            default: throw .typeMismatch(path)
            }
            object[key] = try setting(value, in: object[key] ?? .null, tail, path: path)
            return .object(object)
        case .index(let index):
            var array = try list(node, path: path)
            guard index <= array.count else { throw .indexBeyondEnd(path) }
            if index == array.count { array.append(.null) }
            array[index] = try setting(value, in: array[index], tail, path: path)
            return .array(array)
        case .match(let field, let wanted):
            var array = try list(node, path: path)
            let position = array.firstIndex { element in
                if case .object(let object) = element { return object[field]?.scalarText == wanted }
                return false
            }
            if let position {
                array[position] = try setting(value, in: array[position], tail, path: path)
            } else {
                array.append(try setting(value, in: .object([field: .string(wanted)]), tail, path: path))
            }
            return .array(array)
        }
    }

    private static func list(_ node: JSONValue, path: String) throws(FieldPathError) -> [JSONValue] {
        switch node {
        case .array(let array): return array
        case .null: return []
        default: throw .typeMismatch(path)
        }
    }

    private static func removing(from node: JSONValue, _ rest: ArraySlice<Segment>) -> JSONValue {
        guard let segment = rest.first else { return node }
        let last = rest.count == 1
        switch (segment, node) {
        case (.key(let key), .object(var object)):
            if last {
                object[key] = nil
            } else if let child = object[key] {
                object[key] = removing(from: child, rest.dropFirst())
            }
            return .object(object)
        case (.index(let index), .array(var array)) where index < array.count:
            if last { array.remove(at: index) } else { array[index] = removing(from: array[index], rest.dropFirst()) }
            return .array(array)
        case (.match(let field, let wanted), .array(var array)):
            let matches: (JSONValue) -> Bool = { element in
                if case .object(let object) = element { return object[field]?.scalarText == wanted }
                return false
            }
            if last {
                array.removeAll(where: matches)
            } else if let position = array.firstIndex(where: matches) {
                array[position] = removing(from: array[position], rest.dropFirst())
            }
            return .array(array)
        default:
            return node
        }
    }
}

/// Why a field path could not be parsed or applied.
public enum FieldPathError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)
    case typeMismatch(String)
    case indexBeyondEnd(String)

    public var description: String {
        switch self {
        case .malformed(let path): "\(path): not a field path (name.family, identifiers[scheme=X].value, list[0])"
        case .typeMismatch(let path): "\(path): the path crosses a value of another type"
        case .indexBeyondEnd(let path): "\(path): index beyond the end of the list"
        }
    }
}
