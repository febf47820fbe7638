import PrimesModel

/// Where a record sits in its input: a line, an index in a list, or an XPath.
public struct RecordLocation: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The input's name: a file path, `-` for standard input, or a request's description.
    public var source: String
    public var line: Int?
    /// The 0-based position in a JSON list or an XML document's records.
    public var index: Int?
    public var xpath: String?

    public init(source: String, line: Int? = nil, index: Int? = nil, xpath: String? = nil) {
        self.source = source
        self.line = line
        self.index = index
        self.xpath = xpath
    }

    /// `input.csv:42`, `cases.json#3` or `births.xml:/Bundle/entry[2]`, the prefix of every message.
    public var description: String {
        var text = source
        if let line { text += ":\(line)" }
        if let index { text += "#\(index)" }
        if let xpath { text += ":\(xpath)" }
        return text
    }
}

/// A record that cannot be converted, with every problem found in it.
public struct RecordRejection: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    public var location: RecordLocation
    public var issues: [FieldIssue]

    public init(location: RecordLocation, issues: [FieldIssue]) {
        self.location = location
        self.issues = issues
    }

    public init(location: RecordLocation, field: String, rule: String) {
        self.init(location: location, issues: [FieldIssue(field: field, rule: rule)])
    }

    /// One line per issue, each `FILE:LINE: field: rule`.
    public var description: String {
        issues.map { "\(location): \($0)" }.joined(separator: "\n")
    }
}
