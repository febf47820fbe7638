import Foundation

/// ISO 3166-1 countries and ISO 639-3 languages, read from Debian's `iso-codes` JSON tables at run time.
public enum ISOCodeTables {
    public static let countryListName = "iso-3166-1-alpha-3"
    public static let languageListName = "iso-639-3"
    /// Where Debian's `iso-codes` package installs its JSON tables.
    public static let defaultDirectory = "/usr/share/iso-codes/json"

    /// Loads the country list, keyed by the upper-case alpha-3 code, keeping `alpha_2`, `numeric` and names.
    public static func countries(directory: String = defaultDirectory) throws -> CodeList {
        try load(
            file: directory + "/iso_3166-1.json",
            table: "3166-1",
            name: countryListName,
            attributes: ["alpha_2", "numeric", "common_name", "official_name"]
        )
    }

    /// Loads the language list, keyed by the lower-case alpha-3 code, keeping `inverted_name`, `scope` and `type`.
    public static func languages(directory: String = defaultDirectory) throws -> CodeList {
        try load(
            file: directory + "/iso_639-3.json",
            table: "639-3",
            name: languageListName,
            attributes: ["inverted_name", "alpha_2", "scope", "type"]
        )
    }

    private static func load(file: String, table: String, name: String, attributes: [String]) throws -> CodeList {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw ISOCodeTableError.unreadable(file: file)
        }
        let found = data.withUnsafeBytes { bytes in try? ISOCodeTableJSON.rows(of: table, in: bytes) }
        guard let rows = found ?? nil else { throw ISOCodeTableError.malformed(file: file) }
        let entries = rows.compactMap { row -> CodeList.Entry? in
            guard let code = row["alpha_3"] else { return nil }
            var kept: [String: String] = [:]
            for key in attributes { kept[key] = row[key] }
            return CodeList.Entry(code: code, label: row["name"], attributes: kept)
        }
        let version = Self.packageVersion() ?? "unknown"
        return try CodeList(name: name, version: version, source: file, entries: entries)
    }

    /// The installed `iso-codes` version, from the package's pkg-config file, so that reports say which
    /// edition of the tables was used.
    private static func packageVersion() -> String? {
        guard let text = try? String(contentsOfFile: "/usr/share/pkgconfig/iso-codes.pc", encoding: .utf8) else {
            return nil
        }
        let line = text.split(separator: "\n").first { $0.hasPrefix("Version: ") }
        return line.map { String($0.dropFirst("Version: ".count)) }
    }
}

/// Why an ISO table could not be loaded.
public enum ISOCodeTableError: Error, CustomStringConvertible {
    case unreadable(file: String)
    case malformed(file: String)

    public var description: String {
        switch self {
        case .unreadable(let file): "cannot read \(file) (install Debian's iso-codes package)"
        case .malformed(let file): "\(file) is not an iso-codes JSON table"
        }
    }
}
