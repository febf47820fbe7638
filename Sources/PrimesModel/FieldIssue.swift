/// One problem with one field of a record: the field's path and the rule it breaks.
///
/// Messages never quote a personal value (a name, a date, an identifier); they may quote a code that is not
/// in its list, because codes are not personal data and the operator needs them to fix a mapping.
public struct FieldIssue: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Severity: String, Hashable, Sendable, Codable {
        /// The record cannot be accepted.
        case error
        /// The record is accepted, and the report says what looked wrong.
        case warning
    }

    /// The field's path in the record's own format: `birthDate.value`, `identifiers[1].scheme`, `last_name`.
    public var field: String
    public var rule: String
    public var severity: Severity

    public init(field: String, rule: String, severity: Severity = .error) {
        self.field = field
        self.rule = rule
        self.severity = severity
    }

    public var description: String {
        "\(field): \(rule)"
    }
}
