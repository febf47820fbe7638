import Foundation

/// ISO 8601 date-times as the model stores them (`updatedAt`, `provenance.receivedAt`).
public enum Timestamp {
    /// Whether `text` is a full ISO 8601 date-time with seconds and a zone: `2026-03-01T10:15:00Z`,
    /// `2026-03-01T10:15:00.250+03:00`.
    public static func isISO8601DateTime(_ text: String) -> Bool {
        parse(text) != nil
    }

    public static func parse(_ text: String) -> Date? {
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        return (try? Date(text, strategy: withFraction)) ?? (try? Date(text, strategy: .iso8601))
    }

    /// The current time as an ISO 8601 UTC date-time, as `provenance.receivedAt` records it.
    public static func now() -> String {
        Date().formatted(.iso8601)
    }
}
