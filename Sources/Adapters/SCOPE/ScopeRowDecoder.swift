import PrimesModel

/// Turns the fields of one SCOPE row into canonical values: the household's `RegistrationGroup` and the
/// member's `Person`, collecting every problem of the row rather than stopping at the first.
///
/// Messages name the column as the mapping names it, and quote codes but never a personal value.
struct ScopeRowDecoder {
    let mapping: ScopeMapping
    let formatName: String
    let receivedAt: String

    /// The household described by `row`'s household fields, without members.
    func household(from row: ScopeRow, issues: inout [FieldIssue]) -> RegistrationGroup {
        var group = RegistrationGroup(id: row[.householdId] ?? "")
        group.name = row[.householdName]
        if let text = row[.householdSize] {
            if let size = Int(text), size >= 1, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                group.size = size
            } else {
                issues.append(issue(.householdSize, "must be a whole number of at least 1"))
            }
        }
        group.residenceStatus = code(row, .residenceStatus, mapping.residenceStatus, &issues)
        group.vulnerabilityRating = code(row, .vulnerabilityRating, mapping.vulnerabilityRating, &issues)
        group.arrivalDate = date(row, .arrivalDate, estimated: false, &issues)
        group.registrationSource = row[.registrationSource]
        group.location = location(row)
        group.provenance = provenance()
        requireFields(row, household: true, &issues)
        return group
    }

    /// The member described by `row`, with its membership in the row's household.
    func member(from row: ScopeRow, issues: inout [FieldIssue]) -> Person {
        var person = Person()
        person.ref = row[.beneficiaryUniqueId]
        if let key = row[.beneficiaryUniqueId] {
            person.identifiers.append(Identifier(scheme: mapping.beneficiaryScheme, value: key))
        }
        if let scopeId = row[.scopeId] {
            person.identifiers.append(Identifier(scheme: mapping.scopeScheme, value: scopeId))
        }
        if row[.lastName] != nil || row[.firstName] != nil {
            person.name = PersonName(given: row[.firstName], family: row[.lastName])
        }
        person.sex = code(row, .sex, mapping.sex, &issues)

        var estimated = false
        switch row[.dateOfBirthEstimated] {
        case nil, "N": break
        case "Y": estimated = true
        default: issues.append(issue(.dateOfBirthEstimated, "must be Y or N"))
        }
        person.birthDate = date(row, .dateOfBirth, estimated: estimated, &issues)
        if row[.dateOfBirthEstimated] != nil && row[.dateOfBirth] == nil {
            issues.append(issue(.dateOfBirthEstimated, "is given without \(mapping.columnName(.dateOfBirth))"))
        }

        if let nationality = row[.nationality] { person.nationalities = [nationality] }
        if let phone = row[.phoneNumber] { person.contacts = [Contact(kind: "phone", value: phone)] }
        person.location = location(row)
        person.group = membership(row, sex: person.sex, extensions: &person.extensions, &issues)
        for (name, value) in row.unmapped {
            person.extensions[mapping.extensionNamespace, default: [:]][name] = .string(value)
        }
        person.provenance = provenance()
        requireFields(row, household: false, &issues)
        return person
    }

    /// The member's place in the household: the relationship to the head and the three distinct roles.
    private func membership(
        _ row: ScopeRow,
        sex: String?,
        extensions: inout [String: [String: JSONValue]],
        _ issues: inout [FieldIssue]
    ) -> GroupMembership? {
        guard let householdId = row[.householdId] else { return nil }
        var membership = GroupMembership(id: householdId)
        if let role = row[.householdRole] {
            do {
                let relationship = try mapping.householdRole.canonical(for: role)
                membership.relationshipToFocalPoint = relationship
                membership.focalPoint = relationship == "self"
                // SON and DAUGHTER both become `child`: keep the code when the sex column cannot restore it
                if mapping.householdRoleCode(relationship: relationship, sex: sex) != role {
                    extensions[mapping.extensionNamespace, default: [:]][ScopeField.householdRole.layoutName] =
                        .string(role)
                }
            } catch {
                issues.append(issue(.householdRole, error.description))
            }
        }
        switch code(row, .recipientRole, mapping.recipientRole, &issues) {
        case "principal": membership.principalRecipient = true
        case "alternate": membership.alternateRecipient = true
        default: break
        }
        return membership
    }

    private func location(_ row: ScopeRow) -> Location? {
        guard row[.location] != nil || row[.address] != nil else { return nil }
        let levels = row[.location].map { [AdminLevel(level: mapping.locationLevel, code: $0)] } ?? []
        return Location(levels: levels, address: row[.address])
    }

    private func provenance() -> Provenance {
        Provenance(system: mapping.sourceSystem, format: formatName, formatVersion: "1", receivedAt: receivedAt)
    }

    private func code(
        _ row: ScopeRow,
        _ field: ScopeField,
        _ list: CodeListMapping,
        _ issues: inout [FieldIssue]
    ) -> String? {
        guard let value = row[field] else { return nil }
        do {
            return try list.canonical(for: value)
        } catch {
            issues.append(issue(field, error.description))
            return nil
        }
    }

    private func date(
        _ row: ScopeRow,
        _ field: ScopeField,
        estimated: Bool,
        _ issues: inout [FieldIssue]
    ) -> PartialDate? {
        guard let text = row[field] else { return nil }
        do {
            return try Self.date(text, estimated: estimated)
        } catch {
            issues.append(issue(field, error.description))
            return nil
        }
    }

    private func requireFields(_ row: ScopeRow, household: Bool, _ issues: inout [FieldIssue]) {
        for column in mapping.columns where column.required && column.field.isHousehold == household {
            if row[column.field] == nil {
                issues.append(FieldIssue(field: column.column, rule: "required field is empty"))
            }
        }
    }

    func issue(_ field: ScopeField, _ rule: String, severity: FieldIssue.Severity = .error) -> FieldIssue {
        FieldIssue(field: mapping.columnName(field), rule: rule, severity: severity)
    }

    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD` from bytes, without the string splitting of
    /// `PartialDate(iso:)`, which showed in profiles of million-row files.
    static func date(_ text: String, estimated: Bool) throws(PartialDateError) -> PartialDate {
        let parsed = text.utf8.withContiguousStorageIfAvailable { bytes -> (Int, Int?, Int?)? in
            func number(_ start: Int, _ count: Int) -> Int? {
                var value = 0
                for index in start..<start + count {
                    let digit = Int(bytes[index]) - 0x30
                    guard (0...9).contains(digit) else { return nil }
                    value = value * 10 + digit
                }
                return value
            }
            let dash = UInt8(ascii: "-")
            switch bytes.count {
            case 4:
                return number(0, 4).map { ($0, nil, nil) }
            case 7 where bytes[4] == dash:
                guard let year = number(0, 4), let month = number(5, 2) else { return nil }
                return (year, month, nil)
            case 10 where bytes[4] == dash && bytes[7] == dash:
                guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2) else { return nil }
                return (year, month, day)
            default:
                return nil
            }
        }
        // a string without contiguous UTF-8 (never the case for the strings the readers make) takes the slow path
        guard let parsed else { return try PartialDate(iso: text, estimated: estimated) }
        guard let (year, month, day) = parsed else { throw .notISO }
        return try PartialDate(year: year, month: month, day: day, estimated: estimated)
    }
}
