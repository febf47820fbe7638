/// The part of XPath 1.0 that dialect mapping files use, compiled to name numbers and evaluated on an
/// `XMLFragment` without libxml2: relative paths of child steps (`f:name`, `*`), each with any number of
/// `[@attribute='literal']` predicates, `.` and `..`, a last step `@attribute`, and unions of such paths.
///
/// `init` returns nil for anything else (`//`, functions, positions, absolute paths), and the caller then
/// evaluates the text with libxml2's XPath instead; within the subset the nodes selected are the same, in
/// document order.
public struct XMLFragmentPath: Sendable {
    enum Step: Sendable {
        /// A child element; a nil name is `*`.
        case child(name: Int32?, predicates: [Predicate])
        /// An attribute; a nil name is `@*`.
        case attribute(name: Int32?)
        case parent
        case current
    }

    struct Predicate: Sendable {
        let attribute: Int32
        let value: [UInt8]
    }

    let branches: [[Step]]
    /// Whether the selection must be sorted into document order and rid of duplicates (unions, `..`).
    let needsOrdering: Bool
    public let text: String

    /// Compiles `text`, resolving prefixes with `namespaces` and numbering names in `names`; nil when the
    /// path is outside the subset.
    public init?(_ text: String, namespaces: [(prefix: String, uri: String)], names: XMLNameTable) {
        var branches: [[Step]] = []
        guard let parts = Self.split(Substring(text), on: "|") else { return nil }
        for part in parts {
            guard let stepTexts = Self.split(part, on: "/") else { return nil }
            var steps: [Step] = []
            for (position, stepText) in stepTexts.enumerated() {
                let trimmed = stepText.trimmingXPathSpace
                guard
                    let step = Self.step(
                        trimmed, isLast: position == stepTexts.count - 1, namespaces: namespaces, names: names)
                else { return nil }
                steps.append(step)
            }
            branches.append(steps)
        }
        guard !branches.isEmpty else { return nil }
        self.branches = branches
        self.text = text
        needsOrdering =
            branches.count > 1
            || branches.contains { $0.contains { if case .parent = $0 { return true } else { return false } } }
    }

    /// The nodes selected from `context`, in document order.
    public func select(from context: Int32, in fragment: XMLFragment) -> [Int32] {
        var found: [Int32] = []
        fragment.nodes.withUnsafeBufferPointer { nodes in
            for branch in branches {
                walk(branch[...], from: context, nodes: nodes, fragment: fragment, into: &found)
            }
        }
        if needsOrdering {
            found.sort()
            var unique: [Int32] = []
            for node in found where unique.last != node { unique.append(node) }
            return unique
        }
        return found
    }

    /// Whether the path selects anything from `context`.
    public func matches(from context: Int32, in fragment: XMLFragment) -> Bool {
        !select(from: context, in: fragment).isEmpty
    }

    private func walk(
        _ steps: ArraySlice<Step>, from node: Int32, nodes: UnsafeBufferPointer<XMLFragment.Node>,
        fragment: XMLFragment, into found: inout [Int32]
    ) {
        guard let step = steps.first else {
            found.append(node)
            return
        }
        let rest = steps.dropFirst()
        switch step {
        case .current:
            walk(rest, from: node, nodes: nodes, fragment: fragment, into: &found)
        case .parent:
            let parent = nodes[Int(node)].parent
            if parent >= 0 { walk(rest, from: parent, nodes: nodes, fragment: fragment, into: &found) }
        case .attribute(let name):
            guard nodes[Int(node)].kind == .element else { return }
            var attribute = nodes[Int(node)].firstAttribute
            while attribute >= 0 {
                if name == nil || nodes[Int(attribute)].name == name {
                    walk(rest, from: attribute, nodes: nodes, fragment: fragment, into: &found)
                }
                attribute = nodes[Int(attribute)].nextSibling
            }
        case .child(let name, let predicates):
            guard nodes[Int(node)].kind == .element else { return }
            var child = nodes[Int(node)].firstChild
            while child >= 0 {
                let candidate = nodes[Int(child)]
                if candidate.kind == .element, name == nil || candidate.name == name,
                    predicates.allSatisfy({ holds($0, on: candidate, nodes: nodes, fragment: fragment) })
                {
                    walk(rest, from: child, nodes: nodes, fragment: fragment, into: &found)
                }
                child = candidate.nextSibling
            }
        }
    }

    private func holds(
        _ predicate: Predicate, on element: XMLFragment.Node, nodes: UnsafeBufferPointer<XMLFragment.Node>,
        fragment: XMLFragment
    ) -> Bool {
        var attribute = element.firstAttribute
        while attribute >= 0 {
            if nodes[Int(attribute)].name == predicate.attribute {
                return fragment.valueEquals(attribute, predicate.value)
            }
            attribute = nodes[Int(attribute)].nextSibling
        }
        return false
    }

    // MARK: - Compiling

    /// Splits on `separator` outside brackets and quotes; nil for an empty part (`//`, a leading `/`).
    private static func split(_ text: Substring, on separator: Character) -> [Substring]? {
        var parts: [Substring] = []
        var start = text.startIndex
        var depth = 0
        var quote: Character?
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "[" {
                depth += 1
            } else if character == "]" {
                depth -= 1
            } else if character == separator && depth == 0 {
                parts.append(text[start..<index])
                start = text.index(after: index)
            }
            index = text.index(after: index)
        }
        guard quote == nil, depth == 0 else { return nil }
        parts.append(text[start..<text.endIndex])
        guard parts.allSatisfy({ !$0.trimmingXPathSpace.isEmpty }) else { return nil }
        return parts
    }

    private static func step(
        _ text: Substring, isLast: Bool, namespaces: [(prefix: String, uri: String)], names: XMLNameTable
    ) -> Step? {
        if text == "." { return .current }
        if text == ".." { return .parent }
        if text.hasPrefix("@") {
            guard isLast else { return nil }
            let nameText = text.dropFirst()
            if nameText == "*" { return .attribute(name: nil) }
            guard let name = number(nameText, namespaces: namespaces, names: names) else { return nil }
            return .attribute(name: name)
        }
        var rest = text
        let nameEnd = rest.firstIndex(of: "[") ?? rest.endIndex
        let nameText = rest[..<nameEnd]
        rest = rest[nameEnd...]
        var predicates: [Predicate] = []
        while !rest.isEmpty {
            guard rest.first == "[", let close = rest.firstIndex(of: "]") else { return nil }
            guard let predicate = predicate(rest[rest.index(after: rest.startIndex)..<close], namespaces, names)
            else { return nil }
            predicates.append(predicate)
            rest = rest[rest.index(after: close)...]
        }
        if nameText == "*" { return .child(name: nil, predicates: predicates) }
        guard let name = number(nameText, namespaces: namespaces, names: names) else { return nil }
        return .child(name: name, predicates: predicates)
    }

    /// `@name='literal'` (or with double quotes), spaces allowed around `=`.
    private static func predicate(
        _ text: Substring, _ namespaces: [(prefix: String, uri: String)], _ names: XMLNameTable
    ) -> Predicate? {
        let text = text.trimmingXPathSpace
        guard text.hasPrefix("@"), let equals = text.firstIndex(of: "=") else { return nil }
        let nameText = text[text.index(after: text.startIndex)..<equals].trimmingXPathSpace
        let literal = text[text.index(after: equals)...].trimmingXPathSpace
        guard let quote = literal.first, quote == "'" || quote == "\"", literal.count >= 2, literal.last == quote
        else { return nil }
        let value = literal.dropFirst().dropLast()
        guard !value.contains(quote), let name = number(nameText, namespaces: namespaces, names: names) else {
            return nil
        }
        return Predicate(attribute: name, value: Array(value.utf8))
    }

    /// A QName's number; an unprefixed name is in no namespace, as XPath 1.0 has it.
    private static func number(
        _ text: Substring, namespaces: [(prefix: String, uri: String)], names: XMLNameTable
    ) -> Int32? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy(isNCName) else { return nil }
        if parts.count == 1 { return names.number(String(parts[0]), nil) }
        guard let uri = namespaces.first(where: { $0.prefix == parts[0] })?.uri else { return nil }
        return names.number(String(parts[1]), uri)
    }

    private static func isNCName(_ text: Substring) -> Bool {
        guard let first = text.unicodeScalars.first, first.properties.isAlphabetic || first == "_" else {
            return false
        }
        return text.unicodeScalars.allSatisfy {
            $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" || $0 == "."
        }
    }
}

extension Substring {
    fileprivate var trimmingXPathSpace: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" || first == "\n" || first == "\r" {
            text = text.dropFirst()
        }
        while let last = text.last, last == " " || last == "\t" || last == "\n" || last == "\r" {
            text = text.dropLast()
        }
        return text
    }
}
