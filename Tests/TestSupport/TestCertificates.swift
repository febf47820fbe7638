import Foundation

/// A private CA with a server and a client certificate, plus an unrelated CA, for loopback TLS tests.
///
/// Made once per test process with the `openssl` command-line tool, in a temporary folder that lives as long as
/// the process. Keys are unencrypted P-256 keys; certificates are valid for two days.
public struct TestCertificates: Sendable {
    /// PEM file of the CA that signed the server and client certificates.
    public let caCertificate: String
    /// PEM file of the server certificate, for `127.0.0.1`, `::1` and `localhost`.
    public let serverCertificate: String
    /// PEM file of the server certificate's key.
    public let serverKey: String
    /// PEM file of the client certificate (subject `CN=test-partner,O=PRIMES Gateway tests`), signed by the CA.
    public let clientCertificate: String
    /// PEM file of the client certificate's key.
    public let clientKey: String
    /// PEM file of a CA that signed nothing here, for "untrusted" tests.
    public let otherCACertificate: String

    /// The certificates, made on first use.
    public static func shared() throws -> TestCertificates {
        try made.get()
    }

    private static let made: Result<TestCertificates, Error> = Result { try TestCertificates.make() }

    /// Keeps the folder (and so the files) for the life of the process.
    private nonisolated(unsafe) static var folder: TemporaryDirectory?

    private static func make() throws -> TestCertificates {
        let directory = try TemporaryDirectory(prefix: "primes-gateway-certificates")
        folder = directory
        let openssl = try locateOpenSSL()

        func run(_ arguments: [String]) throws {
            let result = try ProcessRunner.run(openssl, arguments, workingDirectory: directory.url)
            guard result.status == 0 else {
                throw CertificateError(
                    command: "openssl " + arguments.joined(separator: " "), output: result.standardError)
            }
        }

        func makeCA(_ name: String, subject: String) throws {
            try run([
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "\(name).key", "-out", "\(name).pem", "-days", "2", "-subj", subject,
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        }

        func makeLeaf(_ name: String, subject: String, extensions: String) throws {
            try run([
                "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", subject,
            ])
            let extensionFile = try directory.write("\(name).ext", extensions)
            try run([
                "x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-sha256", "-extfile", extensionFile, "-out", "\(name).pem",
            ])
        }

        try makeCA("ca", subject: "/O=PRIMES Gateway tests/CN=Test CA")
        try makeCA("other-ca", subject: "/O=Unrelated/CN=Other CA")
        try makeLeaf(
            "server", subject: "/O=PRIMES Gateway tests/CN=localhost",
            extensions: """
                basicConstraints=CA:FALSE
                keyUsage=critical,digitalSignature
                extendedKeyUsage=serverAuth
                subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost

                """)
        try makeLeaf(
            "client", subject: "/O=PRIMES Gateway tests/CN=test-partner",
            extensions: """
                basicConstraints=CA:FALSE
                keyUsage=critical,digitalSignature
                extendedKeyUsage=clientAuth

                """)

        return TestCertificates(
            caCertificate: directory.path("ca.pem"),
            serverCertificate: directory.path("server.pem"),
            serverKey: directory.path("server.key"),
            clientCertificate: directory.path("client.pem"),
            clientKey: directory.path("client.key"),
            otherCACertificate: directory.path("other-ca.pem")
        )
    }

    private static func locateOpenSSL() throws -> String {
        let candidates = ["/usr/bin/openssl", "/usr/local/bin/openssl", "/opt/homebrew/bin/openssl"]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw CertificateError(command: "openssl", output: "the openssl command is not installed")
        }
        return found
    }
}

/// An `openssl` run that failed while making the test certificates.
public struct CertificateError: Error, CustomStringConvertible {
    public let command: String
    public let output: String

    public var description: String { "\(command) failed: \(output)" }
}
