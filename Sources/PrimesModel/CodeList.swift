/// A closed, versioned list of codes, such as the canonical sexes or ISO 3166-1 countries.
///
/// Code lists are data: the canonical ones are YAML files under `Mappings/codes/canonical/`, the ISO ones
/// come from Debian's `iso-codes` tables. Nothing in the model spells a code in a `switch`.
public struct CodeList: Sendable {
    /// One code with its label and any other columns its table has (`alpha_2`, `inverted_name`, …).
    public struct Entry: Hashable, Sendable {
        public var code: String
        public var label: String?
        public var attributes: [String: String]

        public init(code: String, label: String? = nil, attributes: [String: String] = [:]) {
            self.code = code
            self.label = label
            self.attributes = attributes
        }
    }

    public let name: String
    public let version: String
    /// Where the list came from, for reports and `formats` output.
    public let source: String
    public let entries: [Entry]
    private let index: [String: Int]

    public init(name: String, version: String, source: String, entries: [Entry]) throws(CodeListError) {
        var index: [String: Int] = [:]
        for (position, entry) in entries.enumerated() {
            guard index.updateValue(position, forKey: entry.code) == nil else {
                throw .duplicateCode(list: name, code: entry.code)
            }
        }
        self.name = name
        self.version = version
        self.source = source
        self.entries = entries
        self.index = index
    }

    public func contains(_ code: String) -> Bool {
        index[code] != nil
    }

    public func entry(_ code: String) -> Entry? {
        index[code].map { entries[$0] }
    }

    /// The first entry whose attribute `name` equals `value`, such as a language by its inverted name.
    public func entry(where name: String, is value: String) -> Entry? {
        entries.first { $0.attributes[name] == value }
    }
}

/// Why a code list could not be built or used.
public enum CodeListError: Error, Sendable, Equatable, CustomStringConvertible {
    case duplicateCode(list: String, code: String)
    case missingList(String)

    public var description: String {
        switch self {
        case .duplicateCode(let list, let code): "code list \(list) defines \(code) twice"
        case .missingList(let name): "code list \(name) is not loaded"
        }
    }
}

/// The canonical code lists the validator checks coded fields against, by list name.
public struct CanonicalCodeLists: Sendable {
    /// The names of the lists the canonical model uses, and so must all be loaded.
    public static let requiredNames = [
        "sex", "marital-status", "population-type", "relationship-type", "specific-needs", "event-type",
        "event-role", "contact-kind", "residence-status", "vulnerability-rating", "consent-status",
        ISOCodeTables.countryListName, ISOCodeTables.languageListName,
    ]

    public let lists: [String: CodeList]

    /// Collects the lists, failing when one that the model needs is missing.
    public init(_ lists: [CodeList]) throws(CodeListError) {
        var byName: [String: CodeList] = [:]
        for list in lists { byName[list.name] = list }
        for name in Self.requiredNames where byName[name] == nil { throw .missingList(name) }
        self.lists = byName
    }

    public subscript(name: String) -> CodeList? {
        lists[name]
    }
}
