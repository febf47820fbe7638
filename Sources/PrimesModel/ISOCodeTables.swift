import Foundation

/// ISO 3166-1 countries and ISO 639-3 languages, read from Debian's `iso-codes` JSON tables at run time.
public enum ISOCodeTables {
    public static let countryListName = "iso-3166-1-alpha-3"
    public static let languageListName = "iso-639-3"
    /// Where Debian's `iso-codes` package installs its JSON tables.
    public static let defaultDirectory = "/usr/share/iso-codes/json"

    /// Loads the country list, keyed by the upper-case alpha-3 code, keeping `alpha_2`, `numeric` and names.
    public static func countries(directory: String = defaultDirectory) throws -> CodeList {
        let file = directory + "/iso_3166-1.json"
        let entries = try entries(
            file: file, table: "3166-1", attributes: ["alpha_2", "numeric", "common_name", "official_name"])
        return try CodeList(
            name: countryListName, version: packageVersion() ?? "unknown", source: file, entries: entries)
    }

    /// The language list, keyed by the lower-case alpha-3 code, keeping `inverted_name`, `scope` and `type`.
    ///
    /// The table is read when a language is first looked up: most conversions look up none, and reading its
    /// 7,900 rows took about 5% of the instructions of a 10,000-birth conversion. A table that is missing is
    /// refused here; one that turns out malformed leaves the list empty, and the validator names the failure
    /// for each language checked against it.
    public static func languages(directory: String = defaultDirectory) throws -> CodeList {
        let file = directory + "/iso_639-3.json"
        guard FileManager.default.isReadableFile(atPath: file) else { throw ISOCodeTableError.unreadable(file: file) }
        return CodeList(name: languageListName, version: packageVersion() ?? "unknown", source: file) {
            try entries(file: file, table: "639-3", attributes: ["inverted_name", "alpha_2", "scope", "type"])
        }
    }

    private static func entries(file: String, table: String, attributes: [String]) throws -> [CodeList.Entry] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw ISOCodeTableError.unreadable(file: file)
        }
        let found = data.withUnsafeBytes { bytes in try? ISOCodeTableJSON.rows(of: table, in: bytes) }
        guard let rows = found ?? nil else { throw ISOCodeTableError.malformed(file: file) }
        return rows.compactMap { row -> CodeList.Entry? in
            guard let code = row["alpha_3"] else { return nil }
            var kept: [String: String] = [:]
            for key in attributes { kept[key] = row[key] }
            return CodeList.Entry(code: code, label: row["name"], attributes: kept)
        }
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
