import Foundation
import HTTPClient
import TestSupport
import Testing

/// Several `primes-gateway serve` processes sharing one outbox on PostgreSQL: they split the deliveries
/// between them, and when one is killed its claims go to the others once their lease runs out.
@Suite(.serialized, .enabled(if: TestPostgres.isEnabled, Comment(rawValue: TestPostgres.skipReason)))
struct GatewayInstancesTests {
    /// The deliveries one instance may hold when it dies: its workers times their claim size (see the
    /// `delivery:` section of `GatewayServeTests.configuration`). Only these may reach the partner twice.
    static let claimsInFlight = 2 * 32

    @Test func threeInstancesDeliverEachRecordOnceThoughOneIsKilled() throws {
        let count = 2000
        let sink = try RecordingSink(delaySeconds: 0.001)
        let database = try TestPostgresDatabase()
        let folder = try TemporaryDirectory()
        let config = try GatewayServeTests.configuration(
            sinkURL: sink.url, in: folder, maximumBodyBytes: 4 << 20, store: database.url)
        let instances = try (0..<3).map { _ in try GatewayDaemon(config: config) }
        defer { instances.forEach { $0.stop() } }

        let answer = try GatewayServeTests.post(
            instances[0], "/v1/records/canonical", body: GatewayServeTests.persons(count))
        #expect(answer.status == 202, "\(answer.text)")
        #expect(answer.text.contains("\"accepted\":\(count)"))

        _ = eventually(within: 30) { sink.storedCount >= count / 4 }
        let killed = instances[1]
        killed.crash()
        let atCrash = sink.storedCount
        #expect(atCrash < count, "the kill came after every delivery; the test proves nothing")

        #expect(try eventually(within: 60) { sink.storedCount == count }, "\(sink.storedCount) of \(count)")
        // The sink may hold every record while the outbox still marks the killed instance's last claims as
        // being delivered: it sent them but died before recording the outcome. Once their lease runs out a
        // survivor sends them again (a repeat the sink counts) and records them.
        let stateQuery = "SELECT state || ' ' || COUNT(*) FROM deliveries GROUP BY state"
        var counts = ""
        let settled = try eventually(within: 30) {
            counts = try TestPostgres.run(stateQuery, on: database.url)
            return counts == "delivered \(count)\n"
        }
        #expect(settled, "outbox states: \(counts)")
        let seen = sink.snapshot
        let ids = Set(
            seen.stored.values.compactMap { body in
                (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["id"] as? String
            })
        #expect(ids.count == count)
        // A repeat is a delivery the killed instance had sent but not recorded; the survivors never send the
        // same key twice between themselves.
        #expect(seen.repeats <= Self.claimsInFlight, "repeats beyond the killed instance's claims: \(seen.repeats)")

        // Every survivor took its share: the queue is shared, not drained by whichever instance was first.
        for survivor in [instances[0], instances[2]] {
            let delivered = try Self.delivered(by: survivor)
            #expect(delivered > 0, "an instance delivered nothing")
        }
    }

    /// The instance's own count of delivered records, from its `/metrics`.
    static func delivered(by instance: GatewayDaemon) throws -> Double {
        let metrics = try GatewayServeTests.get(instance, "/metrics").text
        let line = metrics.split(separator: "\n").first {
            $0.hasPrefix("primes_deliveries_total{") && $0.contains("outcome=\"delivered\"")
        }
        return line.flatMap { $0.split(separator: " ").last.flatMap { Double($0) } } ?? 0
    }
}
