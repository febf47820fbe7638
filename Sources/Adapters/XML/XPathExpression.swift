import CLibXML2

/// An XPath 1.0 expression compiled once by libxml2 and evaluated on many records.
public final class XPathExpression: @unchecked Sendable {
    public let text: String
    let compiled: xmlXPathCompExprPtr

    /// Compiles `text`, or throws `XMLPathError.invalid` naming it.
    public init(_ text: String) throws(XMLPathError) {
        guard let compiled = xmlXPathCompile(text) else { throw .invalid(text) }
        self.text = text
        self.compiled = compiled
    }

    deinit {
        xmlXPathFreeCompExpr(compiled)
    }
}

/// An XPath that libxml2 cannot compile, or that the writer cannot build elements from.
public enum XMLPathError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(String)
    case notWritable(String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let text): "\"\(text)\" is not a valid XPath"
        case .notWritable(let text, let reason): "\"\(text)\" cannot be used for writing: \(reason)"
        }
    }
}
