import PrimesModel

extension PrimeroClient {
    /// The fields of `desired` that differ from the server's `current` copy, for a PATCH.
    ///
    /// Values compare as Primero means them, so the type drift of a read-back case (`"18"` for 18) is no
    /// change. Subform rows compare by `unique_id`, and only new or changed rows are sent: the server merges
    /// rows by that id. Keys Primero forbids in a PATCH are never sent.
    static func changes(
        from current: [String: JSONValue],
        to desired: [String: JSONValue],
        forbidden: Set<String>
    ) -> [String: JSONValue] {
        var changes: [String: JSONValue] = [:]
        for (key, value) in desired where !forbidden.contains(key) {
            let old = current[key] ?? .null
            if case .array(let rows) = value, rows.contains(where: isSubformRow) {
                let changedRows = rows.filter { row in !rowIsUnchanged(row, in: old) }
                if !changedRows.isEmpty { changes[key] = .array(changedRows) }
            } else if !same(value, old) {
                changes[key] = value
            }
        }
        return changes
    }

    static func same(_ new: JSONValue, _ old: JSONValue) -> Bool {
        switch (new, old) {
        case (.array(let newItems), .array(let oldItems)):
            if newItems.allSatisfy({ $0.scalarText != nil }) && oldItems.allSatisfy({ $0.scalarText != nil }) {
                return newItems.compactMap(\.scalarText).sorted() == oldItems.compactMap(\.scalarText).sorted()
            }
            return newItems == oldItems
        case (.object(let newFields), .object(let oldFields)):
            return newFields.allSatisfy { key, value in same(value, oldFields[key] ?? .null) }
        default:
            if new == old { return true }
            guard let newText = new.scalarText, let oldText = old.scalarText else {
                return PrimeroValue.isEmpty(new) && PrimeroValue.isEmpty(old)
            }
            return newText == oldText
        }
    }

    private static func isSubformRow(_ value: JSONValue) -> Bool {
        if case .object(let fields) = value { return fields["unique_id"] != nil }
        return false
    }

    private static func rowIsUnchanged(_ row: JSONValue, in oldRows: JSONValue) -> Bool {
        guard case .object(let fields) = row, case .array(let rows) = oldRows else { return false }
        let match = rows.first { old in
            if case .object(let oldFields) = old { return oldFields["unique_id"] == fields["unique_id"] }
            return false
        }
        return match.map { same(row, $0) } ?? false
    }
}
