import Foundation

/// The outcome of running a program to its end.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let standardOutput: String
    public let standardError: String
}

/// Runs programs (the real `primes-gateway`, `python3`, `xmllint`) and collects what they print.
public enum ProcessRunner {
    /// Runs `executable` with `arguments`, feeding `input` on standard input, and waits for it to end.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        input: Data? = nil,
        environment: [String: String]? = nil,
        workingDirectory: URL? = nil
    ) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        let output = Pipe()
        let error = Pipe()
        let standardInput = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = standardInput
        try process.run()
        // Read both pipes concurrently so that a chatty child never blocks on a full pipe.
        let collected = CollectedOutput()
        let group = DispatchGroup()
        for (pipe, keyPath) in [(output, \CollectedOutput.out), (error, \CollectedOutput.err)] {
            group.enter()
            DispatchQueue.global().async {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                collected.set(keyPath, data)
                group.leave()
            }
        }
        if let input { standardInput.fileHandleForWriting.write(input) }
        try standardInput.fileHandleForWriting.close()
        group.wait()
        process.waitUntilExit()
        return ProcessResult(
            status: process.terminationStatus,
            standardOutput: String(decoding: collected.out, as: UTF8.self),
            standardError: String(decoding: collected.err, as: UTF8.self)
        )
    }

    /// Runs the built `primes-gateway` with `arguments`, from the repository's root.
    public static func gateway(_ arguments: [String], input: Data? = nil) throws -> ProcessResult {
        try run(RepositoryPaths.executable.path, arguments, input: input, workingDirectory: RepositoryPaths.root)
    }

    /// The first `python3` on the path, for the JSON Schema checks.
    public static var python: String {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = "\(folder)/python3"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "/usr/bin/python3"
    }
}

private final class CollectedOutput: @unchecked Sendable {
    private let lock = NSLock()
    var out = Data()
    var err = Data()

    func set(_ keyPath: ReferenceWritableKeyPath<CollectedOutput, Data>, _ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        self[keyPath: keyPath] = data
    }
}
