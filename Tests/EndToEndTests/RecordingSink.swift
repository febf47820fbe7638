import Foundation
import HTTPServer
import TestSupport

/// A partner on loopback HTTPS that stores each record once by its `Idempotency-Key`, and answers from a
/// script: a number of failures first, or a fixed status until it is "fixed".
final class RecordingSink: @unchecked Sendable {
    private let lock = NSLock()
    private var server: HTTPServer?
    private var failuresLeft: Int
    private var failureStatus: Int
    private var delaySeconds: Double
    /// Bodies by idempotency key: what the partner holds.
    private(set) var stored: [String: [UInt8]] = [:]
    private(set) var calls = 0
    /// Requests that repeated a key already stored.
    private(set) var repeats = 0

    init(failFirst failures: Int = 0, failureStatus: Int = 503, delaySeconds: Double = 0) throws {
        failuresLeft = failures
        self.failureStatus = failureStatus
        self.delaySeconds = delaySeconds
        let certificates = try TestCertificates.shared()
        var configuration = HTTPServerConfiguration()
        configuration.tls = TLSServerConfiguration(
            certificatePath: certificates.serverCertificate, privateKeyPath: certificates.serverKey)
        server = try HTTPServer(configuration: configuration) { [weak self] request in
            self?.receive(request) ?? HTTPResponse(status: 503)
        }
    }

    deinit {
        server?.stop()
    }

    var url: String {
        "https://127.0.0.1:\(server?.port ?? 0)/records"
    }

    func stop() {
        server?.stop()
    }

    /// From now on, answer 200.
    func fix() {
        lock.lock()
        defer { lock.unlock() }
        failuresLeft = 0
    }

    var storedCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return stored.count
    }

    var snapshot: (stored: [String: [UInt8]], calls: Int, repeats: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (stored, calls, repeats)
    }

    private func receive(_ request: HTTPRequest) -> HTTPResponse {
        if delaySeconds > 0 { Thread.sleep(forTimeInterval: delaySeconds) }
        lock.lock()
        defer { lock.unlock() }
        calls += 1
        guard let key = request.header("idempotency-key") else { return .json(400, ["error": "no Idempotency-Key"]) }
        if failuresLeft > 0 {
            failuresLeft -= 1
            return .json(failureStatus, ["error": "scripted failure"])
        }
        if stored[key] != nil {
            repeats += 1
        } else {
            stored[key] = request.body
        }
        return .json(200, ["stored": key])
    }
}
