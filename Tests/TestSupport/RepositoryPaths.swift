import Adapters
import Foundation

/// Paths of the repository the tests run in, found from this file's own location.
public enum RepositoryPaths {
    /// The repository's root folder.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TestSupport
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    public static let fixtures = root.appendingPathComponent("Fixtures")
    public static let mappings = root.appendingPathComponent("Mappings")
    public static let schema = root.appendingPathComponent("schema")

    /// The built `primes-gateway` executable (`make test` builds it before the tests run).
    public static var executable: URL {
        let configured = ProcessInfo.processInfo.environment["PRIMES_GATEWAY_BINARY"]
        return configured.map { URL(fileURLWithPath: $0) } ?? root.appendingPathComponent(".build/debug/primes-gateway")
    }

    /// The real partner documents in `../shared/standards/`, when that folder exists beside the repository.
    ///
    /// Tests that read them say so when it is missing rather than pass silently.
    public static var sharedStandards: URL? {
        let folder = root.deletingLastPathComponent().appendingPathComponent("shared/standards")
        return FileManager.default.fileExists(atPath: folder.path) ? folder : nil
    }

    /// A fixture's path, such as `fixture("canonical/family-of-five.ndjson")`.
    public static func fixture(_ relativePath: String) -> String {
        fixtures.appendingPathComponent(relativePath).path
    }
}

/// The adapter environment the tests share: the repository's own `Mappings/` and the installed ISO tables.
public enum TestEnvironment {
    public static let adapters: AdapterEnvironment = {
        let mappings = MappingLibrary(root: RepositoryPaths.mappings)
        do {
            return AdapterEnvironment(
                registry: .builtIn, mappings: mappings, codeLists: try mappings.canonicalCodeLists())
        } catch {
            fatalError("cannot load the repository's code lists: \(error)")
        }
    }()
}
