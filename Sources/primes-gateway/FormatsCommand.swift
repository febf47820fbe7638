import Adapters
import CommandLineSupport

/// `primes-gateway formats`: every format and dialect, which way it converts, and the mapping file behind it.
enum FormatsCommand {
    static let spec = CommandSpec(
        name: "formats",
        summary: "list the formats and dialects the gateway reads and writes, with their mapping files"
    )

    static let verb = Verb(spec: spec) { _ in
        let environment = try AdapterEnvironment.load()
        var rows = [["FORMAT", "READ", "WRITE", "MAPPING", "DESCRIPTION"]]
        for format in environment.registry.formats {
            rows.append([
                format.name,
                format.canRead ? "yes" : "no",
                format.canWrite ? "yes" : "no",
                format.defaultMapping.map { "Mappings/" + $0 } ?? "-",
                format.summary,
            ])
        }
        print(table(rows))
        print("\nmappings: \(environment.mappings.root.path)")
        return ExitCode.success
    }

    private static func table(_ rows: [[String]]) -> String {
        let widths = (0..<rows[0].count - 1).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column < widths.count ? cell.padding(toLength: widths[column] + 2, withPad: " ", startingAt: 0) : cell
            }.joined()
        }.joined(separator: "\n")
    }
}
