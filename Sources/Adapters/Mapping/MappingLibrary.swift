import Foundation
import PrimesModel

/// Loads mapping and code-list files from the `Mappings/` folder (or a path given on the command line),
/// checks them, and keeps each one once.
public final class MappingLibrary: @unchecked Sendable {
    /// The `Mappings/` folder.
    public let root: URL
    private let lock = NSLock()
    private var mappingCache: [String: MappingFile] = [:]
    private var codeListCache: [String: CodeListMapping] = [:]

    public init(root: URL) {
        self.root = root
    }

    /// The `Mappings/` folder: `$PRIMES_GATEWAY_MAPPINGS`, else the first `Mappings/` found walking up from
    /// the executable, else from the working directory.
    public static func locate() throws(MappingError) -> MappingLibrary {
        if let configured = ProcessInfo.processInfo.environment["PRIMES_GATEWAY_MAPPINGS"] {
            return MappingLibrary(root: URL(fileURLWithPath: configured))
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        let starts = [
            executable.deletingLastPathComponent(), URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
        ]
        for start in starts {
            var folder = start.standardizedFileURL
            for _ in 0..<8 {
                let candidate = folder.appendingPathComponent("Mappings")
                if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("codes/canonical").path) {
                    return MappingLibrary(root: candidate)
                }
                folder.deleteLastPathComponent()
            }
        }
        throw .unreadable(file: "Mappings", reason: "not found; set PRIMES_GATEWAY_MAPPINGS to the Mappings folder")
    }

    /// Resolves a reference: an existing file path as given, else a path under `Mappings/`.
    public func resolve(_ reference: String, relativeTo base: URL? = nil) -> URL {
        if reference.hasPrefix("/") { return URL(fileURLWithPath: reference) }
        if let base {
            let beside = base.deletingLastPathComponent().appendingPathComponent(reference).standardizedFileURL
            if FileManager.default.fileExists(atPath: beside.path) { return beside }
        }
        if FileManager.default.fileExists(atPath: reference) {
            return URL(fileURLWithPath: reference).standardizedFileURL
        }
        return root.appendingPathComponent(reference).standardizedFileURL
    }

    /// Loads a mapping file (and the mapping it extends, and its code lists).
    public func load(_ reference: String) throws(MappingError) -> MappingFile {
        try load(url: resolve(reference), depth: 0)
    }

    /// Loads a code-list file.
    public func codeList(_ reference: String, relativeTo base: URL? = nil) throws(MappingError) -> CodeListMapping {
        let url = resolve(reference, relativeTo: base)
        if let cached = cached({ codeListCache[url.path] }) { return cached }
        let node = try Self.parse(url)
        let file = url.path
        guard let name = node["codeList"]?.scalar else {
            throw .invalid(file: file, line: node.line, reason: "a code-list file needs `codeList: NAME`")
        }
        var entries: [CodeListMapping.Entry] = []
        for item in node["entries"]?.items ?? [] {
            guard let code = item["code"]?.scalar, let canonical = item["canonical"]?.scalar else {
                throw .invalid(file: file, line: item.line, reason: "an entry needs `code` and `canonical`")
            }
            entries.append(
                .init(
                    code: code,
                    canonical: canonical,
                    readOnly: item["readOnly"]?.scalar == "true",
                    writeOnly: item["writeOnly"]?.scalar == "true"
                )
            )
        }
        if entries.isEmpty { throw .invalid(file: file, line: node.line, reason: "a code list needs `entries`") }
        let uris = ([node["uri"]?.scalar].compactMap { $0 }) + (node["aliases"]?.items?.compactMap(\.scalar) ?? [])
        let list: CodeListMapping
        do {
            list = try CodeListMapping(
                name: name,
                version: node["version"]?.scalar ?? "1",
                uris: uris,
                canonicalList: node["canonical"]?.scalar,
                entries: entries,
                caseInsensitive: node["caseInsensitive"]?.scalar == "true"
            )
        } catch {
            throw .invalid(file: file, line: node.line, reason: error.description)
        }
        store { codeListCache[url.path] = list }
        return list
    }

    /// The canonical code lists: every file in `Mappings/codes/canonical/`, and the ISO tables from `iso-codes`.
    public func canonicalCodeLists(isoDirectory: String = ISOCodeTables.defaultDirectory) throws -> CanonicalCodeLists {
        let folder = root.appendingPathComponent("codes/canonical")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }
        var lists: [CodeList] = []
        for file in files.sorted() {
            lists.append(try canonicalList(folder.appendingPathComponent(file)))
        }
        lists.append(try ISOCodeTables.countries(directory: isoDirectory))
        lists.append(try ISOCodeTables.languages(directory: isoDirectory))
        return try CanonicalCodeLists(lists)
    }

    /// Checks that every code list of `mapping` maps onto codes its canonical list really has.
    public func checkTargets(of mapping: MappingFile, against lists: CanonicalCodeLists) throws(MappingError) {
        for list in mapping.codeLists.values {
            guard let canonicalName = list.canonicalList else { continue }
            guard let canonical = lists[canonicalName] else {
                throw .invalid(file: mapping.path, line: 0, reason: "\(list.name): no canonical list \(canonicalName)")
            }
            for entry in list.entries where !canonical.contains(entry.canonical) {
                throw .invalid(
                    file: mapping.path,
                    line: 0,
                    reason: "\(list.name): \"\(entry.canonical)\" is not in canonical list \(canonicalName)"
                )
            }
        }
    }

    private func canonicalList(_ url: URL) throws -> CodeList {
        let node = try Self.parse(url)
        guard let name = node["codeList"]?.scalar, let version = node["version"]?.scalar else {
            throw MappingError.invalid(file: url.path, line: node.line, reason: "needs `codeList` and `version`")
        }
        var entries: [CodeList.Entry] = []
        for item in node["entries"]?.items ?? [] {
            guard let code = item["code"]?.scalar else {
                throw MappingError.invalid(file: url.path, line: item.line, reason: "an entry needs `code`")
            }
            entries.append(CodeList.Entry(code: code, label: item["label"]?.scalar))
        }
        return try CodeList(name: name, version: version, source: url.path, entries: entries)
    }

    private func load(url: URL, depth: Int) throws(MappingError) -> MappingFile {
        if let cached = cached({ mappingCache[url.path] }) { return cached }
        guard depth < 4 else { throw .invalid(file: url.path, line: 0, reason: "`extends` nests too deep") }
        let node = try Self.parse(url)
        let file = url.path
        guard let name = node["mapping"]?.scalar else {
            throw .invalid(file: file, line: node.line, reason: "a mapping file needs `mapping: NAME`")
        }
        var codeLists: [String: CodeListMapping] = [:]
        for (listName, reference) in node["codeLists"]?.pairs ?? [] {
            guard let path = reference.scalar else {
                throw .invalid(file: file, line: reference.line, reason: "code list \(listName) must name a file")
            }
            codeLists[listName] = try codeList(path, relativeTo: url)
        }
        var fields: [FieldRule] = []
        for item in node["fields"]?.items ?? [] { fields.append(try FieldRule(node: item, file: file)) }
        let formats = node["formats"]?.items?.compactMap(\.scalar) ?? [node["format"]?.scalar].compactMap { $0 }
        var mapping = MappingFile(
            name: name,
            version: node["version"]?.scalar ?? "1",
            formats: formats,
            path: file,
            settings: node["settings"],
            fields: fields,
            codeLists: codeLists
        )
        if let base = node["extends"]?.scalar {
            mapping = try load(url: resolve(base, relativeTo: url), depth: depth + 1).overlaid(with: mapping)
        }
        store { mappingCache[url.path] = mapping }
        return mapping
    }

    private static func parse(_ url: URL) throws(MappingError) -> YAMLNode {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw .unreadable(file: url.path, reason: "no such file or not UTF-8")
        }
        return try YAMLNode.parse(text, name: url.path)
    }

    private func cached<Value>(_ read: () -> Value?) -> Value? {
        lock.lock()
        defer { lock.unlock() }
        return read()
    }

    private func store(_ write: () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        write()
    }
}
