/// The part of XPath that can also say where to write: child steps, a final attribute, and predicates that
/// compare an attribute or a child path with a literal, such as
/// `f:identifier[f:type/f:coding/f:code/@value='BR']/f:value/@value`.
///
/// Writing walks the steps, reusing an element that already matches a step and its predicates and creating
/// one (with what its predicates state) when none does. A step written `+name` always creates a new element,
/// which is how a repeating element (a Bundle entry, a DE4A parent) is written more than once.
public struct XMLWritePath: Sendable, Equatable, CustomStringConvertible {
    public struct Step: Sendable, Equatable {
        public var name: String
        public var isAttribute: Bool
        public var alwaysNew: Bool
        public var predicates: [Predicate]
    }

    /// `[@url='x']` or `[f:type/f:coding/f:code/@value='BR']`: a relative path and the text it must hold.
    public struct Predicate: Sendable, Equatable {
        public var path: [String]
        public var value: String
    }

    public let steps: [Step]
    public let description: String

    /// Parses `text`, or throws `XMLPathError.notWritable` saying what the writer cannot build.
    public init(_ text: String) throws(XMLPathError) {
        var steps: [Step] = []
        for part in try Self.split(text, on: "/") {
            steps.append(try Self.step(part, in: text))
        }
        guard !steps.isEmpty else { throw .notWritable(text, reason: "the path is empty") }
        for step in steps.dropLast() where step.isAttribute {
            throw .notWritable(text, reason: "an attribute can only be the last step")
        }
        self.steps = steps
        self.description = text
    }

    /// The same path with its last step made to create a new element each time.
    public var lastAlwaysNew: XMLWritePath {
        var copy = self
        var steps = copy.steps
        if var last = steps.popLast() {
            last.alwaysNew = true
            steps.append(last)
        }
        copy = XMLWritePath(steps: steps, description: description)
        return copy
    }

    /// The path to the last step's parent (nil when the path has one step), and the last step alone.
    public func splitLast() -> (parent: XMLWritePath?, last: XMLWritePath) {
        guard let last = steps.last else { return (nil, self) }
        let lastPath = XMLWritePath(steps: [last], description: description)
        guard steps.count > 1 else { return (nil, lastPath) }
        return (XMLWritePath(steps: Array(steps.dropLast()), description: description), lastPath)
    }

    private init(steps: [Step], description: String) {
        self.steps = steps
        self.description = description
    }

    private static func step(_ part: Substring, in text: String) throws(XMLPathError) -> Step {
        var rest = part
        var alwaysNew = false
        if rest.first == "+" {
            alwaysNew = true
            rest = rest.dropFirst()
        }
        let open = rest.firstIndex(of: "[") ?? rest.endIndex
        var name = String(rest[..<open])
        var isAttribute = false
        if name.hasPrefix("@") {
            isAttribute = true
            name.removeFirst()
        }
        guard isName(name) else { throw .notWritable(text, reason: "\"\(part)\" is not a child or attribute step") }
        var predicates: [Predicate] = []
        var remainder = rest[open...]
        while !remainder.isEmpty {
            guard remainder.first == "[", let close = closingBracket(in: remainder) else {
                throw .notWritable(text, reason: "unbalanced predicate in \"\(part)\"")
            }
            let inside = remainder[remainder.index(after: remainder.startIndex)..<close]
            predicates.append(try predicate(inside, in: text))
            remainder = remainder[remainder.index(after: close)...]
        }
        return Step(name: name, isAttribute: isAttribute, alwaysNew: alwaysNew, predicates: predicates)
    }

    private static func predicate(_ inside: Substring, in text: String) throws(XMLPathError) -> Predicate {
        guard let equals = inside.firstIndex(of: "=") else {
            throw .notWritable(text, reason: "a predicate must compare a path with a literal")
        }
        let path = inside[..<equals].trimmingSpaces
        var literal = inside[inside.index(after: equals)...].trimmingSpaces
        guard literal.count >= 2, let quote = literal.first, quote == "'" || quote == "\"", literal.last == quote
        else { throw .notWritable(text, reason: "a predicate's value must be a quoted literal") }
        literal = literal.dropFirst().dropLast()
        let parts = path.split(separator: "/").map(String.init)
        guard !parts.isEmpty else { throw .notWritable(text, reason: "empty predicate path") }
        for (position, part) in parts.enumerated() {
            let attribute = part.hasPrefix("@")
            guard isName(attribute ? String(part.dropFirst()) : part), !attribute || position == parts.count - 1 else {
                throw .notWritable(text, reason: "\"\(path)\" is not a simple predicate path")
            }
        }
        return Predicate(path: parts, value: String(literal))
    }

    private static func isName(_ name: String) -> Bool {
        !name.isEmpty
            && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ":" || $0 == "." }
            && name != "." && name != ".."
    }

    private static func closingBracket(in text: Substring) -> Substring.Index? {
        var quote: Character?
        for index in text.indices {
            let character = text[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "]" {
                return index
            }
        }
        return nil
    }

    /// Splits on `separator` outside brackets and quotes.
    static func split(_ text: String, on separator: Character) throws(XMLPathError) -> [Substring] {
        var parts: [Substring] = []
        var depth = 0
        var quote: Character?
        var start = text.startIndex
        for index in text.indices {
            let character = text[index]
            if let open = quote {
                if character == open { quote = nil }
                continue
            }
            switch character {
            case "'", "\"": quote = character
            case "[": depth += 1
            case "]": depth -= 1
            case separator where depth == 0:
                parts.append(text[start..<index])
                start = text.index(after: index)
            default: break
            }
        }
        guard depth == 0, quote == nil else { throw .notWritable(text, reason: "unbalanced brackets or quotes") }
        parts.append(text[start...])
        return parts
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}
