/// One member row of the SCOPE layout, from a CSV line or an XML `Member` element, with its household's
/// fields repeated as the layout repeats them.
import PrimesModel

struct ScopeRow {
    /// Values by `ScopeField.rawValue`; nil for an empty or absent field.
    var values: [String?]
    var location: RecordLocation
    /// Source columns or elements the mapping does not name, with their values, kept in `extensions`.
    var unmapped: [(name: String, value: String)] = []
    /// Problems that make the row unreadable as a whole: a wrong number of fields, bytes that are not UTF-8.
    var problems: [FieldIssue] = []

    init(location: RecordLocation) {
        values = [String?](repeating: nil, count: ScopeField.allCases.count)
        self.location = location
    }

    subscript(field: ScopeField) -> String? {
        get { values[field.rawValue] }
        set { values[field.rawValue] = newValue }
    }

    /// The line the row starts on, for messages that point at another row.
    var line: Int {
        location.line ?? 0
    }
}
