import Foundation

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

    /// The list's contents, behind one reference: the validator hands a list to a check for every coded
    /// field of every record, and copying its names, entries and index each time showed in profiles.
    private let storage: CodeListStorage

    public var name: String { storage.name }
    public var version: String { storage.version }
    /// Where the list came from, for reports and `formats` output.
    public var source: String { storage.source }

    /// Builds a list of `entries`, refusing a code given twice.
    public init(name: String, version: String, source: String, entries: [Entry]) throws(CodeListError) {
        storage = CodeListStorage(
            name: name, version: version, source: source, entries: entries,
            index: try Self.index(of: entries, list: name), deferred: nil)
    }

    /// A list whose entries are read by `load` when one is first asked for, by whichever thread asks first.
    ///
    /// For large tables that most runs never consult, such as ISO 639-3's 7,900 languages. A list that cannot
    /// be read then is empty, and says why in `loadFailure`.
    public init(
        name: String, version: String, source: String, deferred load: @escaping @Sendable () throws -> [Entry]
    ) {
        storage = CodeListStorage(
            name: name, version: version, source: source, entries: [], index: [:],
            deferred: DeferredCodeTable(list: name, load: load))
    }

    public var entries: [Entry] { storage.deferred?.contents.entries ?? storage.entries }

    public func contains(_ code: String) -> Bool {
        if let deferred = storage.deferred { return deferred.contents.index[code] != nil }
        return storage.index[code] != nil
    }

    public func entry(_ code: String) -> Entry? {
        if let deferred = storage.deferred {
            let contents = deferred.contents
            return contents.index[code].map { contents.entries[$0] }
        }
        return storage.index[code].map { storage.entries[$0] }
    }

    /// The first entry whose attribute `name` equals `value`, such as a language by its inverted name.
    public func entry(where name: String, is value: String) -> Entry? {
        entries.first { $0.attributes[name] == value }
    }

    /// Why a list read on first use could not be read; nil for every other list.
    public var loadFailure: String? { storage.deferred?.contents.failure }

    fileprivate static func index(of entries: [Entry], list: String) throws(CodeListError) -> [String: Int] {
        var index: [String: Int] = [:]
        for (position, entry) in entries.enumerated() {
            guard index.updateValue(position, forKey: entry.code) == nil else {
                throw .duplicateCode(list: list, code: entry.code)
            }
        }
        return index
    }
}

/// What a `CodeList` holds. A list read on first use keeps its entries and index in `deferred` instead.
private final class CodeListStorage: Sendable {
    let name: String
    let version: String
    let source: String
    let entries: [CodeList.Entry]
    let index: [String: Int]
    let deferred: DeferredCodeTable?

    init(
        name: String, version: String, source: String, entries: [CodeList.Entry], index: [String: Int],
        deferred: DeferredCodeTable?
    ) {
        self.name = name
        self.version = version
        self.source = source
        self.entries = entries
        self.index = index
        self.deferred = deferred
    }
}

/// The entries of a code list read on first use, and their index by code.
private final class DeferredCodeTable: Sendable {
    struct Contents: Sendable {
        var entries: [CodeList.Entry] = []
        var index: [String: Int] = [:]
        var failure: String?
    }

    private let list: String
    private let load: @Sendable () throws -> [CodeList.Entry]
    private let lock = NSLock()
    /// Set once, under `lock`.
    nonisolated(unsafe) private var loaded: Contents?

    init(list: String, load: @escaping @Sendable () throws -> [CodeList.Entry]) {
        self.list = list
        self.load = load
    }

    var contents: Contents {
        lock.lock()
        defer { lock.unlock() }
        if let loaded { return loaded }
        var contents = Contents()
        do {
            let entries = try load()
            contents.index = try CodeList.index(of: entries, list: list)
            contents.entries = entries
        } catch {
            contents.failure = "\(error)"
        }
        loaded = contents
        return contents
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
