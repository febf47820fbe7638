import PrimesModel

/// Gathers the contiguous rows of one household and yields its `RegistrationGroup` record followed by its
/// members' `Person` records, checking what holds across rows: household fields that agree, exactly one head,
/// the stated household size, and a household that appears a second time further on.
///
/// Memory holds one household's rows and the compact `HouseholdLedger`, whatever the input's size. Both the
/// CSV and the XML reader feed it rows.
final class ScopeHouseholdReader {
    private let decoder: ScopeRowDecoder
    private let nextRow: () throws -> ScopeRow?
    private var assembler: ScopeHouseholdAssembler
    private var lookahead: ScopeRow?
    /// The items of the household being handed out, last one first so that each is moved out, not copied.
    private var pending: [ReadItem] = []

    init(decoder: ScopeRowDecoder, nextRow: @escaping () throws -> ScopeRow?) {
        self.decoder = decoder
        self.nextRow = nextRow
        assembler = ScopeHouseholdAssembler(decoder: decoder)
    }

    func next() throws -> ReadItem? {
        while pending.isEmpty {
            guard try gatherHousehold() else { return nil }
            pending.reverse()
        }
        return pending.popLast()
    }

    /// Reads the rows of the next household into `pending`; false at the end of the input.
    private func gatherHousehold() throws -> Bool {
        var rows: [ScopeRow] = []
        var unreadable: [ReadItem] = []
        while let row = try lookahead ?? nextRow() {
            lookahead = nil
            // an unreadable row is rejected, after the household it sits in, and does not split that household
            guard row.problems.isEmpty else {
                unreadable.append(.rejected(RecordRejection(location: row.location, issues: row.problems)))
                continue
            }
            if let first = rows.first, first[.householdId] != row[.householdId] {
                lookahead = row
                break
            }
            // one household's rows are held together: bound them so that memory stays bounded too
            if rows.count == decoder.mapping.maximumHouseholdRows {
                throw InputError.malformed(
                    row.location,
                    reason: "a household has more than \(rows.count) member rows (setting maximumHouseholdRows)"
                )
            }
            rows.append(row)
        }
        if !rows.isEmpty { assembler.assemble(rows, into: &pending) }
        pending.append(contentsOf: unreadable)
        return !pending.isEmpty
    }
}

/// Makes one household's records from its rows, with the checks across rows; the CSV reader's direct path
/// shares its ledger, so that a household is caught appearing twice whichever way each of its runs went.
struct ScopeHouseholdAssembler {
    let decoder: ScopeRowDecoder
    var ledger = HouseholdLedger()

    init(decoder: ScopeRowDecoder) {
        self.decoder = decoder
    }

    /// Appends the items of the household made of `rows` (readable rows, all with the same household id).
    mutating func assemble(_ rows: [ScopeRow], into pending: inout [ReadItem]) {
        let first = rows[0]
        let householdColumn = decoder.mapping.columnName(.householdId)
        guard let householdId = first[.householdId] else {
            for row in rows {
                pending.append(
                    .rejected(
                        RecordRejection(location: row.location, field: householdColumn, rule: "required field is empty")
                    ))
            }
            return
        }
        if let earlier = ledger.enter(householdId, line: first.line) {
            let rule = "the household already appeared from line \(earlier); a household's rows must be contiguous"
            for row in rows {
                pending.append(.rejected(RecordRejection(location: row.location, field: householdColumn, rule: rule)))
            }
            return
        }

        var householdIssues: [FieldIssue] = []
        var group = decoder.household(from: first, issues: &householdIssues)
        var members: [ReadItem] = []
        var memberRejections: [ReadItem] = []
        var memberIssues: [[FieldIssue]] = []
        var heads = 0
        members.reserveCapacity(rows.count)
        for row in rows {
            var issues = disagreements(of: row, with: first)
            let person = decoder.member(from: row, issues: &issues)
            memberIssues.append(issues)
            if person.group?.focalPoint == true { heads += 1 }
            if issues.isEmpty, let ref = person.ref, let membership = person.group {
                group.members.append(
                    GroupMember(
                        ref: ref,
                        relationshipToFocalPoint: membership.relationshipToFocalPoint,
                        focalPoint: membership.focalPoint,
                        principalRecipient: membership.principalRecipient,
                        alternateRecipient: membership.alternateRecipient
                    ))
                let kept = person.extensions.isEmpty ? [] : kept(person)
                members.append(
                    .record(SourceRecord(record: .person(person), location: row.location, keptInExtensions: kept)))
            } else {
                memberRejections.append(.rejected(RecordRejection(location: row.location, issues: issues)))
            }
        }
        if heads != 1 {
            let headCode = (try? decoder.mapping.householdRole.code(for: "self")) ?? "self"
            householdIssues.append(
                decoder.issue(.householdRole, "a household needs exactly one \(headCode), found \(heads)"))
        }

        guard householdIssues.isEmpty else {
            pending.append(.rejected(RecordRejection(location: first.location, issues: householdIssues)))
            let rule = "its household, from line \(first.line), is rejected"
            for (row, issues) in zip(rows, memberIssues) {
                let pointer = FieldIssue(field: householdColumn, rule: rule)
                pending.append(.rejected(RecordRejection(location: row.location, issues: [pointer] + issues)))
            }
            return
        }

        var warnings: [FieldIssue] = []
        if let size = group.size, size != rows.count {
            warnings.append(
                decoder.issue(
                    .householdSize, "says \(size) but the household has \(rows.count) member rows", severity: .warning))
        }
        pending.append(.record(SourceRecord(record: .group(group), location: first.location, warnings: warnings)))
        pending.append(contentsOf: members)
        pending.append(contentsOf: memberRejections)
    }

    /// The household fields of `row` that differ from the household's first row.
    private func disagreements(of row: ScopeRow, with first: ScopeRow) -> [FieldIssue] {
        guard row.line != first.line || row.location != first.location else { return [] }
        var issues: [FieldIssue] = []
        for column in decoder.mapping.columns where column.field.isHousehold && row[column.field] != first[column.field]
        {
            issues.append(
                FieldIssue(field: column.column, rule: "differs from line \(first.line) of the same household"))
        }
        return issues
    }

    /// The extension fields the reader filled for `person`, for the report.
    private func kept(_ person: Person) -> [String] {
        guard let fields = person.extensions[decoder.mapping.extensionNamespace] else { return [] }
        return fields.keys.sorted().map { "extensions.\(decoder.mapping.extensionNamespace).\($0)" }
    }
}
