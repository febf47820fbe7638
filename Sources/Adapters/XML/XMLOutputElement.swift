/// An element being built for output, before `XMLDocumentWriter` writes it.
///
/// A record is built as a small tree, because a dialect's rules fill it in the mapping's order while paths
/// share parents (a FHIR `name` holds `family` and `given`); the tree is written and dropped record by record.
public final class XMLOutputElement {
    /// The qualified name as the dialect writes it, such as `f:Patient` or `n3:Child`.
    public let name: String
    public private(set) var attributes: [(name: String, value: String)] = []
    public private(set) var children: [XMLOutputElement] = []
    public var text: String?

    public init(name: String) {
        self.name = name
    }

    public func setAttribute(_ name: String, _ value: String) {
        if let position = attributes.firstIndex(where: { $0.name == name }) {
            attributes[position].value = value
        } else {
            attributes.append((name, value))
        }
    }

    public func attribute(_ name: String) -> String? {
        attributes.first { $0.name == name }?.value
    }

    @discardableResult
    public func appendChild(_ name: String) -> XMLOutputElement {
        let child = XMLOutputElement(name: name)
        children.append(child)
        return child
    }

    public func append(_ child: XMLOutputElement) {
        children.append(child)
    }

    /// Writes `value` at `path` below this element, creating what the path needs.
    public func set(_ path: XMLWritePath, _ value: String) {
        var current = self
        for step in path.steps.dropLast() { current = current.resolve(step) }
        guard let last = path.steps.last else { return }
        if last.isAttribute {
            current.setAttribute(last.name, value)
        } else {
            let target = current.resolve(last, reuseFilled: false)
            target.text = value
        }
    }

    /// The element at `path` below this one, created when missing.
    public func element(at path: XMLWritePath) -> XMLOutputElement {
        var current = self
        for step in path.steps where !step.isAttribute { current = current.resolve(step) }
        return current
    }

    /// Whether a subtree holds any text or attribute at all.
    public var isEmpty: Bool {
        attributes.isEmpty && (text ?? "").isEmpty && children.allSatisfy(\.isEmpty)
    }

    private func resolve(_ step: XMLWritePath.Step, reuseFilled: Bool = true) -> XMLOutputElement {
        if !step.alwaysNew,
            let existing = children.first(where: {
                $0.name == step.name && $0.satisfies(step.predicates) && (reuseFilled || $0.text == nil)
            })
        {
            return existing
        }
        let created = appendChild(step.name)
        for predicate in step.predicates { created.write(predicate) }
        return created
    }

    private func satisfies(_ predicates: [XMLWritePath.Predicate]) -> Bool {
        predicates.allSatisfy { holds($0.path[...], $0.value) }
    }

    private func holds(_ path: ArraySlice<String>, _ value: String) -> Bool {
        guard let first = path.first else { return text == value }
        if first.hasPrefix("@") { return attribute(String(first.dropFirst())) == value }
        return children.contains { $0.name == first && $0.holds(path.dropFirst(), value) }
    }

    private func write(_ predicate: XMLWritePath.Predicate) {
        var current = self
        for (position, part) in predicate.path.enumerated() {
            if part.hasPrefix("@") {
                current.setAttribute(String(part.dropFirst()), predicate.value)
                return
            }
            current = current.children.first { $0.name == part } ?? current.appendChild(part)
            if position == predicate.path.count - 1 { current.text = predicate.value }
        }
    }
}
