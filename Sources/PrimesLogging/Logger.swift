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
    /// Metadata added to every line, such as `request.id` or `batch.id`, in the order lines print it (by key).
    private let fields: [(key: String, value: LogValue)]
    private let sink: LogSink

    public init(label: String, style: Style, minimumLevel: Level = .info, sink: LogSink = .standardError) {
        self.init(label: label, style: style, minimumLevel: minimumLevel, fields: [], sink: sink)
    }

    private init(
        label: String, style: Style, minimumLevel: Level, fields: [(key: String, value: LogValue)], sink: LogSink
    ) {
        self.label = label
        self.style = style
        self.minimumLevel = minimumLevel
        self.fields = fields
        self.sink = sink
    }

    /// Metadata added to every line, such as `request.id` or `batch.id`.
    public var metadata: [String: LogValue] {
        Dictionary(fields.map { ($0.key, $0.value) }) { _, new in new }
    }

    /// A logger that adds `extra` to every line, such as a request id for the life of one request.
    public func with(_ extra: KeyValuePairs<String, LogValue>) -> Logger {
        Logger(
            label: label, style: style, minimumLevel: minimumLevel, fields: Self.merged(fields, extra), sink: sink)
    }

    public func debug(_ event: String, _ metadata: KeyValuePairs<String, LogValue> = [:]) {
        log(.debug, event, metadata)
    }

    public func info(_ event: String, _ metadata: KeyValuePairs<String, LogValue> = [:]) {
        log(.info, event, metadata)
    }

    public func notice(_ event: String, _ metadata: KeyValuePairs<String, LogValue> = [:]) {
        log(.notice, event, metadata)
    }

    public func warning(_ event: String, _ metadata: KeyValuePairs<String, LogValue> = [:]) {
        log(.warning, event, metadata)
    }

    public func error(_ event: String, _ metadata: KeyValuePairs<String, LogValue> = [:]) {
        log(.error, event, metadata)
    }

    /// Writes one line for `event`, a dotted name such as `delivery.failed`, with its metadata.
    public func log(_ level: Level, _ event: String, _ extra: KeyValuePairs<String, LogValue>) {
        guard level >= minimumLevel else { return }
        let fields = Self.merged(fields, extra)
        switch style {
        case .json:
            var line = jsonLine(level, event, fields)
            line.append(UInt8(ascii: "\n"))
            sink.write(line)
        case .text:
            sink.write(Array((textLine(level, event, fields) + "\n").utf8))
        }
    }

    /// `fields` with `extra` added, a key of `extra` replacing the same key of `fields` (the last of a key
    /// repeated in `extra` wins); sorted by key.
    ///
    /// Metadata is passed as `KeyValuePairs` rather than a dictionary: the daemon writes a line or two per
    /// request, and hashing every key to build a dictionary only to sort its pairs showed in profiles. Keys are
    /// compared by their UTF-8 bytes, which for the ASCII dotted names used is alphabetical order and spares
    /// the Unicode-aware comparison of strings.
    private static func merged(
        _ fields: [(key: String, value: LogValue)], _ extra: KeyValuePairs<String, LogValue>
    ) -> [(key: String, value: LogValue)] {
        guard !extra.isEmpty else { return fields }
        var all = fields
        all.reserveCapacity(fields.count + extra.count)
        for (key, value) in extra {
            // `all` stays sorted: the key replaces its namesake or goes in before the first key after it.
            var position = 0
            while position < all.count && precedes(all[position].key, key) {
                position += 1
            }
            if position < all.count && all[position].key == key {
                all[position].value = value
            } else {
                all.insert((key, value), at: position)
            }
        }
        return all
    }

    /// Whether `left` sorts before `right` by their UTF-8 bytes, compared with `memcmp`: the generic
    /// `lexicographicallyPrecedes` took a few hundred instructions for two short keys.
    private static func precedes(_ left: String, _ right: String) -> Bool {
        var left = left
        var right = right
        return left.withUTF8 { left in
            right.withUTF8 { right in
                let common = min(left.count, right.count)
                guard common > 0, let leftStart = left.baseAddress, let rightStart = right.baseAddress else {
                    return left.count < right.count
                }
                let order = memcmp(leftStart, rightStart, common)
                return order < 0 || (order == 0 && left.count < right.count)
            }
        }
    }

    /// One JSON object, built as bytes: the daemon writes a line or two per request.
    private func jsonLine(_ level: Level, _ event: String, _ fields: [(key: String, value: LogValue)]) -> [UInt8] {
        var line: [UInt8] = [UInt8(ascii: "{")]
        line.reserveCapacity(128 + 48 * fields.count)
        func name(_ name: String) {
            if line.count > 1 { line.append(UInt8(ascii: ",")) }
            appendJSONString(name, to: &line)
            line.append(UInt8(ascii: ":"))
        }
        name("ts")
        line.append(UInt8(ascii: "\""))
        appendUTCTimestamp(to: &line)
        line.append(UInt8(ascii: "\""))
        for (key, value) in [("level", level.rawValue), ("logger", label), ("event", event)] {
            name(key)
            appendJSONString(value, to: &line)
        }
        for (key, value) in fields {
            name(key)
            appendJSONString(value.rendered, to: &line)
        }
        line.append(UInt8(ascii: "}"))
        return line
    }

    private func textLine(_ level: Level, _ event: String, _ fields: [(key: String, value: LogValue)]) -> String {
        let pairs = fields.map { "\($0.key)=\($0.value.rendered)" }
        return ([level.rawValue, event] + pairs).joined(separator: " ")
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

    /// A duration in milliseconds, to a tenth, exactly as `%.1f` prints it (`1.2`).
    public static func milliseconds(_ seconds: Double) -> LogValue {
        // Counted in tenths and printed as two integers: formatting the double cost a quarter of the line it
        // went into. Within a millionth of a tenth of a tie the product's rounding error could pick the other
        // side from `%.1f`, which rounds the exact value, so those (and absurd values) go to the C library.
        let milliseconds = seconds * 1000
        let tenths = milliseconds * 10
        let fraction = tenths - tenths.rounded(.down)
        guard tenths >= 0, tenths < 1e9, abs(fraction - 0.5) > 1e-6 else { return .safe(formatted(milliseconds)) }
        let whole = Int64(tenths.rounded())
        return .safe("\(whole / 10).\(whole % 10)")
    }

    /// `value` through the C library's `%.1f` (Foundation's String(format:) costs more).
    private static func formatted(_ value: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let written = withVaList([value]) { arguments in vsnprintf(&buffer, buffer.count, "%.1f", arguments) }
        guard written > 0, written < buffer.count else { return String(format: "%.1f", value) }
        return String(decoding: buffer[0..<Int(written)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
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
    private let write: ([UInt8]) -> Void

    /// A sink that gets each line as text, its line break included.
    public init(_ write: @escaping (String) -> Void) {
        self.write = { bytes in write(String(decoding: bytes, as: UTF8.self)) }
    }

    private init(bytes write: @escaping ([UInt8]) -> Void) {
        self.write = write
    }

    public static let standardError = LogSink(bytes: { line in
        // write(2) directly: the daemon writes a line or two per request, and FileHandle costs more than the
        // system call.
        line.withUnsafeBufferPointer { bytes in
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
    })

    func write(_ line: [UInt8]) {
        lock.lock()
        defer { lock.unlock() }
        write(line)
    }
}

/// Appends `text` as a JSON string: quotes, backslashes and control characters escaped, the rest as it is.
private func appendJSONString(_ text: String, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    defer { out.append(UInt8(ascii: "\"")) }
    // Most values (ids, counts, event names) need no escaping: copied whole.
    let copied: Bool? = text.utf8.withContiguousStorageIfAvailable { bytes in
        guard !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
            return false
        }
        out.append(contentsOf: bytes)
        return true
    }
    if copied == true { return }
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
        case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
        case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
        case UInt8(ascii: "\r"): out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
        case UInt8(ascii: "\t"): out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
        case 0..<0x20:
            let digits: StaticString = "0123456789abcdef"
            out += Array("\\u00".utf8)
            digits.withUTF8Buffer { digit in
                out.append(digit[Int(byte >> 4)])
                out.append(digit[Int(byte & 0x0F)])
            }
        default: out.append(byte)
        }
    }
}

/// Appends the time as ISO 8601 in UTC to the second (`2026-03-01T09:30:00Z`), the form the JSON lines have
/// always carried; formatted by hand because Foundation's formatter cost more than the rest of a log line.
func appendUTCTimestamp(_ seconds: time_t = time(nil), to text: inout [UInt8]) {
    var parts = tm()
    var now = seconds
    gmtime_r(&now, &parts)
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
}
