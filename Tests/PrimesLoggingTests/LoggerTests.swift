import Foundation
import Testing

@testable import PrimesLogging

@Suite("Structured logging without personal data")
struct LoggerTests {
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [String] = []
        var all: [String] {
            lock.lock()
            defer { lock.unlock() }
            return stored
        }
        func append(_ line: String) {
            lock.lock()
            defer { lock.unlock() }
            stored.append(line)
        }
    }

    @Test("JSON lines carry level, event and dotted metadata; only safe values are printed")
    func jsonLines() throws {
        let lines = Lines()
        let logger = Logger(label: "test", style: .json, sink: LogSink(lines.append))
            .with(["request.id": .safe("r-1")])
        logger.info("ingest.accepted", ["batch.records": .count(3), "person.name": .sensitive("Testa Amani")])
        let line = try #require(lines.all.first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["level"] == "info")
        #expect(object["event"] == "ingest.accepted")
        #expect(object["request.id"] == "r-1")
        #expect(object["batch.records"] == "3")
        #expect(object["person.name"] == "<redacted>")
        #expect(!line.contains("Testa"))
    }

    @Test("text lines for people, and levels below the minimum are dropped")
    func textAndLevels() throws {
        let lines = Lines()
        let logger = Logger(label: "cli", style: .text, minimumLevel: .notice, sink: LogSink(lines.append))
        logger.info("not.shown")
        logger.warning("delivery.failed", ["destination": .safe("primero"), "attempt": .count(2)])
        #expect(lines.all == ["warning delivery.failed attempt=2 destination=primero\n"])
    }

    @Test("a line's own metadata replaces the logger's for the same key, and keys print in order")
    func mergedMetadata() throws {
        let lines = Lines()
        let logger = Logger(label: "t", style: .text, sink: LogSink(lines.append))
            .with(["request.id": .safe("r-1"), "client": .safe("a")])
            .with(["client": .safe("b")])
        logger.info("x", ["batch.id": .safe("b-1"), "request.id": .safe("r-2")])
        #expect(lines.all == ["info x batch.id=b-1 client=b request.id=r-2\n"])
        #expect(logger.metadata == ["request.id": .safe("r-1"), "client": .safe("b")])
    }

    @Test("quotes and control characters in safe values keep the JSON valid")
    func escaping() throws {
        let lines = Lines()
        Logger(label: "t", style: .json, sink: LogSink(lines.append)).error(
            "x", ["reason": .safe("a \"quoted\"\nline\u{1}")])
        let line = try #require(lines.all.first)
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
        #expect(object?["reason"] == "a \"quoted\"\nline\u{1}")
    }
}

@Suite("The timestamp of JSON lines")
struct TimestampTests {
    @Test(
        "formatted by hand exactly as Foundation's ISO 8601 style formats it",
        arguments: [
            0, 951_782_400, 1_709_251_199, 1_767_225_599, 1_796_300_000, 4_102_444_799,
        ])
    func matchesFoundation(seconds: Int) {
        let foundation = Date(timeIntervalSince1970: Double(seconds)).formatted(.iso8601)
        var text: [UInt8] = []
        appendUTCTimestamp(time_t(seconds), to: &text)
        #expect(String(decoding: text, as: UTF8.self) == foundation)
    }
}

@Suite("Durations in log lines")
struct DurationTests {
    @Test(
        "milliseconds are printed exactly as String(format: \"%.1f\") prints them",
        arguments: [
            0, 0.000_05, 0.000_25, 0.000_35, 0.001_05, 0.002_45, 0.012_345, 1.999_95, 12.5, 1e-9, 86_400.123_4,
            0.000_149_999_9, 0.000_150_000_1, 0.003_9, 0.099_96, 7_200.000_05, 250_000.25, -0.001,
        ])
    func matchesFormat(seconds: Double) {
        #expect(LogValue.milliseconds(seconds) == .safe(String(format: "%.1f", seconds * 1000)))
    }
}
