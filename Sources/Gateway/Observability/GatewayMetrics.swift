import Foundation

/// Counters, gauges and latency histograms, rendered in the Prometheus text format for `/metrics`.
///
/// Label values are gateway-made names (destinations, formats, status codes), never record content.
public final class GatewayMetrics: @unchecked Sendable {
    /// Upper bounds of the latency histograms, in seconds.
    public static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// A metric name and its labels (`key="value"` pairs in a fixed order), looked up on every request.
    ///
    /// Labels are kept as given and rendered only for `/metrics`: hashing a few short names costs less than
    /// building their text (`format="canonical",status="202"`) for each lookup, which showed in profiles.
    private struct Series: Hashable {
        let name: String
        let labels: [(String, String)]

        static func == (left: Series, right: Series) -> Bool {
            left.name == right.name && left.labels.count == right.labels.count
                && zip(left.labels, right.labels).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(name)
            for (key, value) in labels {
                hasher.combine(key)
                hasher.combine(value)
            }
        }

        /// `key="value",…`, the label values escaped.
        var renderedLabels: String {
            labels.map { key, value in "\(key)=\"\(GatewayMetrics.escape(value))\"" }.joined(separator: ",")
        }
    }

    private struct Histogram {
        var counts = [Int](repeating: 0, count: GatewayMetrics.buckets.count)
        var sum = 0.0
        var total = 0
    }

    private let lock = NSLock()
    private var counters: [Series: Double] = [:]
    private var gauges: [Series: Double] = [:]
    private var histograms: [Series: Histogram] = [:]
    private var help: [String: (type: String, text: String)] = [:]

    public init() {
        describe("primes_ingest_requests_total", "counter", "Ingest requests by format and HTTP status.")
        describe("primes_ingest_records_total", "counter", "Records accepted or rejected at ingest.")
        describe("primes_ingest_seconds", "histogram", "Ingest request latency, including the durable commit.")
        describe("primes_deliveries_total", "counter", "Delivery attempts by destination and outcome.")
        describe("primes_delivery_seconds", "histogram", "Time to deliver one record to a destination.")
        describe("primes_retries_total", "counter", "Deliveries scheduled for another attempt.")
        describe("primes_dead_letters_total", "counter", "Deliveries that became dead letters.")
        describe("primes_queue_depth", "gauge", "Deliveries per destination and state in the outbox.")
        describe("primes_source_polls_total", "counter", "Polls of each source, by result (ok, failed).")
        describe("primes_source_records_total", "counter", "Records pulled per source: enqueued, unchanged, rejected.")
        describe("primes_source_poll_seconds", "histogram", "Time of one poll of a source, including its commits.")
    }

    private func describe(_ name: String, _ type: String, _ text: String) {
        help[name] = (type, text)
    }

    /// Adds `amount` to a counter; `labels` are `key="value"` pairs in a fixed order.
    public func increment(_ name: String, _ labels: [(String, String)] = [], by amount: Double = 1) {
        let series = Series(name: name, labels: labels)
        lock.lock()
        defer { lock.unlock() }
        counters[series, default: 0] += amount
    }

    public func set(_ name: String, _ labels: [(String, String)] = [], to value: Double) {
        let series = Series(name: name, labels: labels)
        lock.lock()
        defer { lock.unlock() }
        gauges[series] = value
    }

    public func observe(_ name: String, _ labels: [(String, String)] = [], seconds: Double) {
        let series = Series(name: name, labels: labels)
        lock.lock()
        defer { lock.unlock() }
        var histogram = histograms[series] ?? Histogram()
        for (index, bound) in Self.buckets.enumerated() where seconds <= bound { histogram.counts[index] += 1 }
        histogram.sum += seconds
        histogram.total += 1
        histograms[series] = histogram
    }

    /// The value of a counter, for tests and `outbox status`.
    public func counter(_ name: String, _ labels: [(String, String)] = []) -> Double {
        let series = Series(name: name, labels: labels)
        lock.lock()
        defer { lock.unlock() }
        return counters[series] ?? 0
    }

    /// Every series in the Prometheus text exposition format, version 0.0.4.
    public func render() -> String {
        lock.lock()
        defer { lock.unlock() }
        var lines: [String] = []
        for name in help.keys.sorted() {
            guard let (type, text) = help[name] else { continue }
            lines.append("# HELP \(name) \(text)")
            lines.append("# TYPE \(name) \(type)")
            for (labels, value) in Self.sorted(counters, named: name) {
                lines.append(line(name, labels, value))
            }
            for (labels, value) in Self.sorted(gauges, named: name) {
                lines.append(line(name, labels, value))
            }
            for (labels, histogram) in Self.sorted(histograms, named: name) {
                for (index, bound) in Self.buckets.enumerated() {
                    lines.append(line(name + "_bucket", labels, Double(histogram.counts[index]), bound: "\(bound)"))
                }
                lines.append(line(name + "_bucket", labels, Double(histogram.total), bound: "+Inf"))
                lines.append(line(name + "_sum", labels, histogram.sum))
                lines.append(line(name + "_count", labels, Double(histogram.total)))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The series of `name` in `table` with their rendered labels, in the order of those labels.
    private static func sorted<T>(_ table: [Series: T], named name: String) -> [(labels: String, value: T)] {
        table.filter { $0.key.name == name }.map { (labels: $0.key.renderedLabels, value: $0.value) }
            .sorted { $0.labels < $1.labels }
    }

    /// One sample line; `bound` is a histogram bucket's `le` label, after the series' own.
    private func line(_ name: String, _ labels: String, _ value: Double, bound: String? = nil) -> String {
        let number = value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        let all = [labels, bound.map { "le=\"\($0)\"" } ?? ""].filter { !$0.isEmpty }.joined(separator: ",")
        return all.isEmpty ? "\(name) \(number)" : "\(name){\(all)} \(number)"
    }

    private static func escape(_ value: String) -> String {
        // Label values are almost always plain names; only those with a quote, a backslash or a line break
        // go through the (much slower) replacing.
        let plain = value.utf8.allSatisfy {
            $0 != UInt8(ascii: "\\") && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\n")
        }
        if plain { return value }
        return value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
