import PrimesModel

/// A code list that maps a partner's codes to canonical codes and back, loaded from a YAML file.
///
/// ```yaml
/// codeList: scope.sex            # the list's name, used in every error
/// version: "1"
/// uri: https://…                  # the source list's URI, when it has one; more in `aliases`
/// canonical: sex                  # the canonical list the targets belong to
/// entries:
///   - {code: F, canonical: female}
///   - {code: U, canonical: unknown}
///   - {code: X, canonical: unknown, readOnly: true}   # accepted on reading, never written
/// ```
/// Reading, several partner codes may map to one canonical code; writing uses the first entry of a canonical
/// code that is not `readOnly`. A value with no entry is an error naming the list, never a default.
public struct CodeListMapping: Sendable {
    public enum Direction: String, Sendable, Equatable {
        case toCanonical
        case fromCanonical
    }

    public struct Entry: Sendable, Equatable {
        public var code: String
        public var canonical: String
        public var readOnly: Bool
        public var writeOnly: Bool
    }

    public let name: String
    public let version: String
    /// The URIs the source list is known by (FHIR's legacy and R4 code-system URIs, say).
    public let uris: [String]
    /// The canonical code list the targets belong to, checked when the file is loaded.
    public let canonicalList: String?
    public let entries: [Entry]
    /// Whether partner codes compare without regard to case (`Female` and `female`).
    public let caseInsensitive: Bool
    private let toCanonicalIndex: [String: String]
    private let fromCanonicalIndex: [String: String]
    /// The partner codes read (lowercased when `caseInsensitive`) with their canonical codes, in entry order, for
    /// lists short enough to search one by one; empty for longer lists.
    ///
    /// Comparing a code with a few short strings costs less than hashing it once, and `canonical(for:)` runs for
    /// every coded value read (a FHIR conversion looks up three codes for every birth).
    private let shortList: [(code: String, canonical: String)]

    /// The most entries a list may have to be searched one by one rather than through its index.
    private static let searchedEntryLimit = 16

    public init(
        name: String,
        version: String,
        uris: [String] = [],
        canonicalList: String? = nil,
        entries: [Entry],
        caseInsensitive: Bool = false
    ) throws(CodeListMappingError) {
        var toCanonical: [String: String] = [:]
        var fromCanonical: [String: String] = [:]
        for entry in entries {
            let key = caseInsensitive ? entry.code.lowercased() : entry.code
            if !entry.writeOnly {
                if let existing = toCanonical[key], existing != entry.canonical {
                    throw .ambiguous(list: name, code: entry.code)
                }
                toCanonical[key] = entry.canonical
            }
            if !entry.readOnly && fromCanonical[entry.canonical] == nil { fromCanonical[entry.canonical] = entry.code }
        }
        self.name = name
        self.version = version
        self.uris = uris
        self.canonicalList = canonicalList
        self.entries = entries
        self.caseInsensitive = caseInsensitive
        self.toCanonicalIndex = toCanonical
        self.fromCanonicalIndex = fromCanonical
        // The first entry of a code gives the same canonical code as the index: a second that differs is refused
        // above as ambiguous.
        let read = entries.count <= Self.searchedEntryLimit ? entries.filter { !$0.writeOnly } : []
        self.shortList = read.map { (caseInsensitive ? $0.code.lowercased() : $0.code, $0.canonical) }
    }

    /// The canonical code for a partner's code, or `MappingError.unmapped` naming this list.
    public func canonical(for code: String) throws(MappingError) -> String {
        let key = caseInsensitive ? code.lowercased() : code
        if !shortList.isEmpty {
            for entry in shortList where entry.code == key { return entry.canonical }
            throw .unmapped(list: name, value: code, direction: .toCanonical)
        }
        guard let found = toCanonicalIndex[key] else {
            throw .unmapped(list: name, value: code, direction: .toCanonical)
        }
        return found
    }

    /// The partner's code for a canonical code, or `MappingError.unmapped` naming this list.
    public func code(for canonical: String) throws(MappingError) -> String {
        guard let found = fromCanonicalIndex[canonical] else {
            throw .unmapped(list: name, value: canonical, direction: .fromCanonical)
        }
        return found
    }

    /// Whether this list is the one a source identifies by `uri`.
    public func isKnown(by uri: String) -> Bool {
        uris.contains(uri)
    }
}

/// A code-list file that contradicts itself.
public enum CodeListMappingError: Error, Sendable, Equatable, CustomStringConvertible {
    case ambiguous(list: String, code: String)

    public var description: String {
        switch self {
        case .ambiguous(let list, let code): "code list \(list) maps \"\(code)\" to two canonical codes"
        }
    }
}
