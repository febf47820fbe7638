/// The part of XPath 1.0 that dialect mapping files use, compiled to name numbers and evaluated on an
/// `XMLFragment` without libxml2: relative paths of child steps (`f:name`, `*`), each with any number of
/// `[@attribute='literal']` predicates, `.` and `..`, a last step `@attribute`, and unions of such paths.
///
/// `init` returns nil for anything else (`//`, functions, positions, absolute paths), and the caller then
/// evaluates the text with libxml2's XPath instead; within the subset the nodes selected are the same, in
/// document order.
///
/// A class: the rules hold their paths in their plan, and taking a path out of a rule for every person read
/// copied (retained and released) each of its arrays.
public final class XMLFragmentPath: Sendable {
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

    /// A step flattened for evaluation: no enum payloads to copy on every node visited.
    struct FlatStep: Sendable {
        enum Kind: UInt8, Sendable {
            case child
            case attribute
            case parent
            case current
        }

        let kind: Kind
        /// The name to match; -1 for any.
        let name: Int32
        let predicates: Range<Int>
    }

    /// The branches of the union, as ranges of `steps`.
    let branches: [Range<Int>]
    let steps: [FlatStep]
    let predicates: [Predicate]
    /// Whether the selection must be sorted into document order and rid of duplicates (unions, `..`).
    let needsOrdering: Bool
    public let text: String

    /// Compiles `text`, resolving prefixes with `namespaces` and numbering names in `names`; nil when the
    /// path is outside the subset.
    public init?(_ text: String, namespaces: [(prefix: String, uri: String)], names: XMLNameTable) {
        var branches: [Range<Int>] = []
        var steps: [FlatStep] = []
        var predicates: [Predicate] = []
        var needsOrdering = false
        guard let parts = Self.split(Substring(text), on: "|") else { return nil }
        for part in parts {
            guard let stepTexts = Self.split(part, on: "/") else { return nil }
            let first = steps.count
            for (position, stepText) in stepTexts.enumerated() {
                let trimmed = stepText.trimmingXPathSpace
                guard
                    let step = Self.step(
                        trimmed, isLast: position == stepTexts.count - 1, namespaces: namespaces, names: names)
                else { return nil }
                switch step {
                case .child(let name, let stepPredicates):
                    let start = predicates.count
                    predicates.append(contentsOf: stepPredicates)
                    steps.append(FlatStep(kind: .child, name: name ?? -1, predicates: start..<predicates.count))
                case .attribute(let name):
                    steps.append(FlatStep(kind: .attribute, name: name ?? -1, predicates: 0..<0))
                case .parent:
                    needsOrdering = true
                    steps.append(FlatStep(kind: .parent, name: -1, predicates: 0..<0))
                case .current:
                    steps.append(FlatStep(kind: .current, name: -1, predicates: 0..<0))
                }
            }
            branches.append(first..<steps.count)
        }
        guard !branches.isEmpty else { return nil }
        self.branches = branches
        self.steps = steps
        self.predicates = predicates
        self.needsOrdering = needsOrdering || branches.count > 1
        self.text = text
    }

    /// The nodes selected from `context`, in document order.
    public func select(from context: Int32, in fragment: XMLFragment) -> [Int32] {
        var found: [Int32] = []
        visitAll(from: context, in: fragment) { found.append($0) }
        if needsOrdering { Self.order(&found) }
        return found
    }

    /// Calls `body` with each node selected from `context`, in document order.
    public func forEach(from context: Int32, in fragment: XMLFragment, _ body: (Int32) -> Void) {
        if needsOrdering {
            for node in select(from: context, in: fragment) { body(node) }
        } else {
            visitAll(from: context, in: fragment, body)
        }
    }

    /// Sorts `nodes` into document order and removes repeats; one node, as a union mostly finds, is left as is.
    private static func order(_ nodes: inout [Int32]) {
        guard nodes.count > 1 else { return }
        nodes.sort()
        var kept = 1
        for index in 1..<nodes.count where nodes[index] != nodes[kept - 1] {
            nodes[kept] = nodes[index]
            kept += 1
        }
        nodes.removeLast(nodes.count - kept)
    }

    /// The first node selected from `context` in document order, if any.
    public func first(from context: Int32, in fragment: XMLFragment) -> Int32? {
        var first: Int32?
        forEach(from: context, in: fragment) { node in
            if first == nil { first = node }
        }
        return first
    }

    /// Whether the path selects anything from `context`.
    public func matches(from context: Int32, in fragment: XMLFragment) -> Bool {
        first(from: context, in: fragment) != nil
    }

    private func visitAll(from context: Int32, in fragment: XMLFragment, _ body: (Int32) -> Void) {
        fragment.nodes.withUnsafeBufferPointer { nodes in
            fragment.bytes.withUnsafeBufferPointer { bytes in
                steps.withUnsafeBufferPointer { steps in
                    for branch in branches {
                        walk(branch.lowerBound, branch.upperBound, context, nodes, bytes, steps, body)
                    }
                }
            }
        }
    }

    private func walk(
        _ step: Int, _ end: Int, _ node: Int32, _ nodes: UnsafeBufferPointer<XMLFragment.Node>,
        _ bytes: UnsafeBufferPointer<UInt8>, _ steps: UnsafeBufferPointer<FlatStep>, _ body: (Int32) -> Void
    ) {
        guard step < end else {
            body(node)
            return
        }
        let current = steps[step]
        switch current.kind {
        case .current:
            walk(step + 1, end, node, nodes, bytes, steps, body)
        case .parent:
            let parent = nodes[Int(node)].parent
            if parent >= 0 { walk(step + 1, end, parent, nodes, bytes, steps, body) }
        case .attribute:
            guard nodes[Int(node)].kind == .element else { return }
            var attribute = nodes[Int(node)].firstAttribute
            while attribute >= 0 {
                if current.name < 0 || nodes[Int(attribute)].name == current.name {
                    walk(step + 1, end, attribute, nodes, bytes, steps, body)
                }
                attribute = nodes[Int(attribute)].nextSibling
            }
        case .child:
            guard nodes[Int(node)].kind == .element else { return }
            var child = nodes[Int(node)].firstChild
            while child >= 0 {
                // The fields read where they lie: copying each node visited showed in profiles.
                let index = Int(child)
                if nodes[index].kind == .element, current.name < 0 || nodes[index].name == current.name,
                    current.predicates.isEmpty
                        || holds(current.predicates, on: nodes[index].firstAttribute, nodes, bytes)
                {
                    walk(step + 1, end, child, nodes, bytes, steps, body)
                }
                child = nodes[index].nextSibling
            }
        }
    }

    /// Whether the element whose first attribute is `firstAttribute` meets the predicates in `range`.
    private func holds(
        _ range: Range<Int>, on firstAttribute: Int32, _ nodes: UnsafeBufferPointer<XMLFragment.Node>,
        _ bytes: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        for index in range {
            let predicate = predicates[index]
            var attribute = firstAttribute
            var held = false
            while attribute >= 0 {
                let node = nodes[Int(attribute)]
                if node.name == predicate.attribute {
                    let start = Int(node.textStart)
                    held =
                        Int(node.textLength) == predicate.value.count
                        && UnsafeBufferPointer(rebasing: bytes[start..<start + Int(node.textLength)])
                            .elementsEqual(predicate.value)
                    break
                }
                attribute = node.nextSibling
            }
            if !held { return false }
        }
        return true
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
