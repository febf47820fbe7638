import Foundation

/// A small structured logger that cannot print personal data by accident.
///
/// Every metadata value is a `LogValue`; only values built with `.safe` (ids the gateway made, counts,
/// formats, durations) are printed. Anything else prints as `<redacted>`, so a name, a birth date, a phone
/// number or an identifier that slips into a log call never reaches the log.
public struct Logger: Sendable {
    public enum Level: String, Sendable, Comparable, CaseIterable {
        case debug, info, notice, warning, error

        public static func < (lhs: Level, rhs: Level) -> Bool {
            allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
        }
    }

    /// How lines are written: JSON for the daemon, short text for people at a terminal.
    public enum Style: Sendable {
        case json
        case text
    }

    public let label: String
    public let style: Style
    public let minimumLevel: Level
    /// Metadata added to every line, such as `request.id` or `batch.id`.
    public let metadata: [String: LogValue]
    private let sink: LogSink

    public init(label: String, style: Style, minimumLevel: Level = .info, sink: LogSink = .standardError) {
        self.init(label: label, style: style, minimumLevel: minimumLevel, metadata: [:], sink: sink)
    }

    private init(label: String, style: Style, minimumLevel: Level, metadata: [String: LogValue], sink: LogSink) {
        self.label = label
        self.style = style
        self.minimumLevel = minimumLevel
        self.metadata = metadata
        self.sink = sink
    }

    /// A logger that adds `extra` to every line, such as a request id for the life of one request.
    public func with(_ extra: [String: LogValue]) -> Logger {
        Logger(
            label: label,
            style: style,
            minimumLevel: minimumLevel,
            metadata: metadata.merging(extra) { _, new in new },
            sink: sink
        )
    }

    public func debug(_ event: String, _ metadata: [String: LogValue] = [:]) {
        log(.debug, event, metadata)
    }

    public func info(_ event: String, _ metadata: [String: LogValue] = [:]) {
        log(.info, event, metadata)
    }

    public func notice(_ event: String, _ metadata: [String: LogValue] = [:]) {
        log(.notice, event, metadata)
    }

    public func warning(_ event: String, _ metadata: [String: LogValue] = [:]) {
        log(.warning, event, metadata)
    }

    public func error(_ event: String, _ metadata: [String: LogValue] = [:]) {
        log(.error, event, metadata)
    }

    /// Writes one line for `event`, a dotted name such as `delivery.failed`, with its metadata.
    public func log(_ level: Level, _ event: String, _ extra: [String: LogValue]) {
        guard level >= minimumLevel else { return }
        let all = metadata.merging(extra) { _, new in new }
        sink.write(format(level, event, all) + "\n")
    }

    func format(_ level: Level, _ event: String, _ metadata: [String: LogValue]) -> String {
        let keys = metadata.keys.sorted()
        switch style {
        case .json:
            // Appended into one string: the daemon writes a line or two per request.
            var line = "{"
            line.reserveCapacity(96 + 48 * keys.count)
            func field(_ name: String, _ value: String) {
                if line.utf8.count > 1 { line += "," }
                appendJSONString(name, to: &line)
                line += ":"
                appendJSONString(value, to: &line)
            }
            field("ts", utcTimestamp())
            field("level", level.rawValue)
            field("logger", label)
            field("event", event)
            for key in keys { field(key, metadata[key]?.rendered ?? LogValue.redactedText) }
            return line + "}"
        case .text:
            let pairs = keys.map { "\($0)=\(metadata[$0]?.rendered ?? LogValue.redactedText)" }
            return ([level.rawValue, event] + pairs).joined(separator: " ")
        }
    }
}

/// A metadata value: printed only when marked safe.
public enum LogValue: Sendable, Hashable {
    /// A value known to carry no personal data: a batch id the gateway made, a format name, a count.
    case safe(String)
    /// Any other value; it is kept out of the log.
    case redacted

    static let redactedText = "<redacted>"

    /// A count or other number; numbers the gateway computes are never personal data.
    public static func count(_ number: Int) -> LogValue {
        .safe(String(number))
    }

    /// A duration in milliseconds.
    public static func milliseconds(_ seconds: Double) -> LogValue {
        // The C library's `%.1f` without Foundation's String(format:), which cost more than the rest of a line.
        var buffer = [CChar](repeating: 0, count: 64)
        let written = withVaList([seconds * 1000]) { arguments in vsnprintf(&buffer, buffer.count, "%.1f", arguments) }
        guard written > 0, written < buffer.count else { return .safe(String(format: "%.1f", seconds * 1000)) }
        return .safe(String(decoding: buffer[0..<Int(written)].map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// Marks a value as personal or unknown data; it prints as `<redacted>`.
    public static func sensitive(_ value: some Any) -> LogValue {
        .redacted
    }

    var rendered: String {
        switch self {
        case .safe(let text): text
        case .redacted: Self.redactedText
        }
    }
}

/// Where log lines go: standard error by default, or a collector in tests.
public final class LogSink: @unchecked Sendable {
    private let lock = NSLock()
    private let write: (String) -> Void

    public init(_ write: @escaping (String) -> Void) {
        self.write = write
    }

    public static let standardError = LogSink { line in
        // write(2) directly: the daemon writes a line or two per request, and FileHandle costs more than the
        // system call.
        var line = line
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(2, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    func write(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        write(line)
    }
}

private func appendJSONString(_ text: String, to out: inout String) {
    // Most values (ids, counts, event names) need no escaping: copy them whole.
    let plain = text.utf8.allSatisfy { $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
    guard plain else {
        out += jsonString(text)
        return
    }
    out += "\""
    out += text
    out += "\""
}

private func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

/// The current time as ISO 8601 in UTC to the second (`2026-03-01T09:30:00Z`), the form the JSON lines have
/// always carried; formatted by hand because Foundation's formatter cost more than the rest of a log line.
func utcTimestamp(_ seconds: time_t = time(nil)) -> String {
    var parts = tm()
    var now = seconds
    gmtime_r(&now, &parts)
    var text = [UInt8]()
    text.reserveCapacity(20)
    func digits(_ value: Int32, _ count: Int) {
        var divisor: Int32 = 1
        for _ in 1..<count { divisor *= 10 }
        while divisor > 0 {
            text.append(UInt8(ascii: "0") + UInt8((value / divisor) % 10))
            divisor /= 10
        }
    }
    digits(parts.tm_year + 1900, 4)
    text.append(UInt8(ascii: "-"))
    digits(parts.tm_mon + 1, 2)
    text.append(UInt8(ascii: "-"))
    digits(parts.tm_mday, 2)
    text.append(UInt8(ascii: "T"))
    digits(parts.tm_hour, 2)
    text.append(UInt8(ascii: ":"))
    digits(parts.tm_min, 2)
    text.append(UInt8(ascii: ":"))
    digits(parts.tm_sec, 2)
    text.append(UInt8(ascii: "Z"))
    return String(decoding: text, as: UTF8.self)
}
