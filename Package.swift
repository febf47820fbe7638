// swift-tools-version: 6.0
import PackageDescription

/// One `.systemLibrary` target per Debian C library the gateway uses. The `apt` provider names the `-dev`
/// package that `make` installs when `pkg-config` cannot find the library.
func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt([apt])])
}

let package = Package(
    name: "primes-gateway",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "primes-gateway", targets: ["primes-gateway"]),
        .executable(name: "primes-gateway-hello", targets: ["primes-gateway-hello"]),
        .library(name: "PrimesModel", targets: ["PrimesModel"]),
        .library(name: "Adapters", targets: ["Adapters"]),
        .library(name: "Gateway", targets: ["Gateway"]),
    ],
    targets: [
        systemLibrary("CLibXML2", pkgConfig: "libxml-2.0", apt: "libxml2-dev"),
        systemLibrary("CCurl", pkgConfig: "libcurl", apt: "libcurl4-openssl-dev"),
        systemLibrary("CMicroHTTPD", pkgConfig: "libmicrohttpd", apt: "libmicrohttpd-dev"),
        systemLibrary("CYAML", pkgConfig: "yaml-0.1", apt: "libyaml-dev"),
        systemLibrary("CSQLite", pkgConfig: "sqlite3", apt: "libsqlite3-dev"),
        systemLibrary("CPostgres", pkgConfig: "libpq", apt: "libpq-dev"),
        systemLibrary("CSodium", pkgConfig: "libsodium", apt: "libsodium-dev"),

        .target(name: "PrimesLogging"),
        .target(name: "CommandLineSupport"),
        .target(name: "HTTPClient", dependencies: ["CCurl"]),
        .target(name: "HTTPServer", dependencies: ["CMicroHTTPD"]),
        .target(name: "PrimesModel"),
        .target(
            name: "Adapters",
            dependencies: ["PrimesModel", "PrimesLogging", "HTTPClient", "CYAML", "CLibXML2"]
        ),
        .target(
            name: "Gateway",
            dependencies: [
                "Adapters", "PrimesModel", "PrimesLogging", "HTTPServer", "HTTPClient", "CSQLite", "CPostgres",
                "CSodium", "CMicroHTTPD",
            ]
        ),
        .executableTarget(
            name: "primes-gateway",
            dependencies: ["Gateway", "Adapters", "PrimesModel", "PrimesLogging", "CommandLineSupport", "HTTPServer"]
        ),

        // A bare libmicrohttpd server, the baseline of Benchmarks/bench-gateway.sh.
        .executableTarget(name: "primes-gateway-hello", dependencies: ["HTTPServer"]),

        .target(
            name: "TestSupport",
            dependencies: ["PrimesModel", "Adapters", "HTTPServer", "HTTPClient"],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "PrimesModelTests", dependencies: ["PrimesModel", "TestSupport"]),
        .testTarget(
            name: "AdaptersTests",
            dependencies: ["Adapters", "PrimesModel", "TestSupport", "CLibXML2", "HTTPClient"]
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: ["Gateway", "Adapters", "PrimesModel", "PrimesLogging", "HTTPServer", "TestSupport"]
        ),
        .testTarget(name: "PrimesLoggingTests", dependencies: ["PrimesLogging"]),
        .testTarget(name: "CommandLineSupportTests", dependencies: ["CommandLineSupport"]),
        .testTarget(name: "HTTPTransportTests", dependencies: ["HTTPClient", "HTTPServer", "TestSupport"]),
        .testTarget(
            name: "SystemLibraryTests",
            dependencies: ["CLibXML2", "CCurl", "CMicroHTTPD", "CYAML", "CSQLite", "CPostgres", "CSodium"]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["PrimesModel", "TestSupport", "HTTPServer", "HTTPClient"]
        ),
    ]
)
