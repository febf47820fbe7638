import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The real `primes-gateway serve`, started in its own process for a test and stopped (or killed) by it.
final class GatewayDaemon: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var errorText = ""
    private(set) var port: UInt16 = 0

    /// Starts `serve --config config` and waits until it says where it listens.
    init(config: String) throws {
        process.executableURL = RepositoryPaths.executable
        process.arguments = ["serve", "--config", config]
        process.currentDirectoryURL = RepositoryPaths.root
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        errors.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            lock.lock()
            errorText += String(decoding: data, as: UTF8.self)
            lock.unlock()
        }
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, process.isRunning {
            if let port = listeningPort() {
                self.port = port
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw DaemonError.didNotStart(log: log)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    var log: String {
        lock.lock()
        defer { lock.unlock() }
        return errorText
    }

    var baseURL: String {
        "https://127.0.0.1:\(port)"
    }

    private func listeningPort() -> UInt16? {
        for line in log.split(separator: "\n") where line.contains("\"event\":\"server.listening\"") {
            guard let range = line.range(of: "\"port\":\"") else { continue }
            let digits = line[range.upperBound...].prefix { $0.isNumber }
            return UInt16(digits)
        }
        return nil
    }

    /// Ends the daemon the way an operator does (SIGTERM) and waits.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// Ends the daemon as a crash would: SIGKILL, no clean-up.
    func crash() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

enum DaemonError: Error, CustomStringConvertible {
    case didNotStart(log: String)

    var description: String {
        switch self {
        case .didNotStart(let log): "primes-gateway serve did not start:\n\(log)"
        }
    }
}

/// Waits until `condition` holds, checking every 50 ms for at most `seconds`; returns whether it held.
func eventually(within seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return try condition()
}
