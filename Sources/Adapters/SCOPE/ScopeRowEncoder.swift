import PrimesModel

/// Turns canonical records into SCOPE rows for the CSV and XML writers, one household at a time.
///
/// A household's fields come from its `RegistrationGroup` record, which must come before its members, as
/// every reader of the gateway emits them. A person whose group record did not come first is rejected:
/// `household_name` and `household_size` are required and only the group record holds them, and a household
/// cannot be reopened later because SCOPE needs its rows together. A group without `size` takes the number
/// of members it lists; it never takes a made-up one.
struct ScopeRowEncoder {
    let mapping: ScopeMapping
    private var household: RegistrationGroup?
    /// The household's fields, fixed by its first written member (whose location fills in a group's missing one).
    private var householdValues: [String?]?
    /// Why the last group record was rejected, with its id, so that its members are rejected for the same reason.
    private var householdRejected: (id: String, reason: String)?
    private var ledger = HouseholdLedger()
    private var householdCount = 0

    init(mapping: ScopeMapping) {
        self.mapping = mapping
    }

    /// Whether the next written member starts a new household (the XML writer opens an element then).
    var startsHousehold: Bool {
        householdValues == nil
    }

    /// Takes a group record: the household of the members that follow.
    mutating func enter(_ group: RegistrationGroup, at location: RecordLocation) throws -> WriteNotes {
        householdValues = nil
        householdCount += 1
        if let earlier = ledger.enter(group.id, line: householdCount) {
            household = nil
            householdRejected = (
                group.id, "its household was already written (as household #\(earlier)) and cannot be reopened"
            )
            throw RecordRejection(
                location: location,
                field: mapping.columnName(.householdId),
                rule: "the household was already written as household #\(earlier); its records must be contiguous"
            )
        }
        var issues: [FieldIssue] = []
        if group.name == nil { issues.append(issue(.householdName, "required; the group record has no name")) }
        if group.size == nil && group.members.isEmpty {
            issues.append(issue(.householdSize, "required; the group record has neither a size nor members"))
        }
        let unmapped = unmappedCodes(of: group)
        issues += unmapped
        guard issues.isEmpty else {
            household = nil
            householdRejected = (group.id, "its household's group record was rejected")
            throw RecordRejection(location: location, issues: issues)
        }
        household = group
        householdRejected = nil
        return WriteNotes(notHeld: notHeld(group))
    }

    /// The row of one member, in `ScopeField` order, and what of the person SCOPE cannot hold.
    mutating func row(for person: Person, at location: RecordLocation) throws -> (values: [String?], notes: WriteNotes)
    {
        guard let membership = person.group else {
            throw RecordRejection(
                location: location, field: mapping.columnName(.householdId),
                rule: "required; the person belongs to no registration group")
        }
        if let householdRejected, householdRejected.id == membership.id {
            throw RecordRejection(
                location: location, field: mapping.columnName(.householdId), rule: householdRejected.reason)
        }
        guard let household, household.id == membership.id else {
            throw RecordRejection(
                location: location, field: mapping.columnName(.householdName),
                rule: "unknown; the person's group record must come before its members and was not there")
        }

        var values = [String?](repeating: nil, count: ScopeField.allCases.count)
        var issues: [FieldIssue] = []
        var notHeld = notHeld(person)

        // household fields, the same on every member row
        let own =
            person.location?.levels.first { $0.level == mapping.locationLevel }?.code
            ?? person.location?.mostPreciseCode
        if let householdValues {
            for field in ScopeField.allCases where field.isHousehold {
                values[field.rawValue] = householdValues[field.rawValue]
            }
            if own != nil && own != values[ScopeField.location.rawValue] { notHeld.append("location") }
        } else {
            values[ScopeField.householdId.rawValue] = household.id
            values[ScopeField.householdName.rawValue] = household.name
            values[ScopeField.householdSize.rawValue] = String(household.size ?? household.members.count)
            values[ScopeField.residenceStatus.rawValue] = household.residenceStatus.flatMap {
                try? mapping.residenceStatus.code(for: $0)
            }
            values[ScopeField.vulnerabilityRating.rawValue] = household.vulnerabilityRating.flatMap {
                try? mapping.vulnerabilityRating.code(for: $0)
            }
            values[ScopeField.arrivalDate.rawValue] = household.arrivalDate?.isoText
            values[ScopeField.registrationSource.rawValue] = household.registrationSource
            let groupCode = household.location.flatMap { location in
                location.levels.first { $0.level == mapping.locationLevel }?.code ?? location.mostPreciseCode
            }
            values[ScopeField.location.rawValue] = groupCode ?? own
            values[ScopeField.address.rawValue] =
                household.location?.address ?? (groupCode == nil ? person.location?.address : nil)
            if groupCode != nil && own != nil && own != groupCode { notHeld.append("location") }
        }
        if values[ScopeField.location.rawValue] == nil {
            issues.append(issue(.location, "required; neither the person nor the household has a location code"))
        }

        // the member's own fields
        let key = person.identifier(mapping.beneficiaryScheme) ?? person.ref ?? person.id
        if key == nil {
            issues.append(
                issue(
                    .beneficiaryUniqueId,
                    "required; the person has no \(mapping.beneficiaryScheme) identifier, ref or id"))
        }
        values[ScopeField.beneficiaryUniqueId.rawValue] = key
        values[ScopeField.scopeId.rawValue] = person.identifier(mapping.scopeScheme)
        if let family = person.name?.family {
            values[ScopeField.lastName.rawValue] = family
        } else {
            issues.append(issue(.lastName, "required; the person has no family name"))
        }
        values[ScopeField.firstName.rawValue] = person.name?.given
        values[ScopeField.householdRole.rawValue] = householdRole(person, membership, &issues)
        if let sex = person.sex {
            do {
                values[ScopeField.sex.rawValue] = try mapping.sex.code(for: sex)
            } catch {
                issues.append(issue(.sex, error.description))
            }
        }
        if let birth = person.birthDate {
            values[ScopeField.dateOfBirth.rawValue] = birth.isoText
            values[ScopeField.dateOfBirthEstimated.rawValue] = birth.estimated ? "Y" : "N"
        }
        if let nationality = person.nationalities.first, nationality != "stateless", nationality != "unknown" {
            values[ScopeField.nationality.rawValue] = nationality
        }
        values[ScopeField.phoneNumber.rawValue] = person.contacts.first { $0.kind == "phone" }?.value
        values[ScopeField.recipientRole.rawValue] = recipientRole(membership, &issues)

        guard issues.isEmpty else { throw RecordRejection(location: location, issues: issues) }
        if householdValues == nil {
            householdValues = values
        }
        return (values, WriteNotes(notHeld: notHeld))
    }

    private func householdRole(_ person: Person, _ membership: GroupMembership, _ issues: inout [FieldIssue]) -> String?
    {
        guard let relationship = membership.focalPoint ? "self" : membership.relationshipToFocalPoint else {
            issues.append(issue(.householdRole, "required; the person's relationship to the head is not known"))
            return nil
        }
        // the code the reader kept because the sex column could not restore it (SON with sex U)
        if case .string(let kept) = person.extensions[mapping.extensionNamespace]?[ScopeField.householdRole.layoutName],
            (try? mapping.householdRole.canonical(for: kept)) == relationship
        {
            return kept
        }
        if let code = mapping.householdRoleCode(relationship: relationship, sex: person.sex) { return code }
        let needsSex = (try? mapping.householdRoleFemale.code(for: relationship)) != nil
        issues.append(
            issue(
                .householdRole,
                needsSex
                    ? "canonical code \"\(relationship)\" needs the person's sex (female or male) to choose the SCOPE code"
                    : "canonical code \"\(relationship)\" has no mapping in code list \(mapping.householdRole.name)"
            )
        )
        return nil
    }

    private func recipientRole(_ membership: GroupMembership, _ issues: inout [FieldIssue]) -> String? {
        let role: String
        switch (membership.principalRecipient, membership.alternateRecipient) {
        case (true, true):
            issues.append(
                issue(.recipientRole, "the person is both principal and alternate recipient; SCOPE holds one"))
            return nil
        case (true, false): role = "principal"
        case (false, true): role = "alternate"
        case (false, false): role = "none"
        }
        do {
            return try mapping.recipientRole.code(for: role)
        } catch {
            issues.append(issue(.recipientRole, error.description))
            return nil
        }
    }

    private func unmappedCodes(of group: RegistrationGroup) -> [FieldIssue] {
        var issues: [FieldIssue] = []
        do {
            _ = try group.residenceStatus.map(mapping.residenceStatus.code(for:))
        } catch {
            issues.append(issue(.residenceStatus, error.description))
        }
        do {
            _ = try group.vulnerabilityRating.map(mapping.vulnerabilityRating.code(for:))
        } catch {
            issues.append(issue(.vulnerabilityRating, error.description))
        }
        return issues
    }

    /// Canonical fields of a person that the layout has no column for.
    private func notHeld(_ person: Person) -> [String] {
        var fields: [String] = []
        if let id = person.id, id != (person.identifier(mapping.beneficiaryScheme) ?? person.ref ?? id) {
            fields.append("id")
        }
        for identifier in person.identifiers
        where identifier.scheme != mapping.beneficiaryScheme && identifier.scheme != mapping.scopeScheme {
            fields.append("identifiers[scheme=\(identifier.scheme)]")
        }
        if let name = person.name {
            if name.middle != nil { fields.append("name.middle") }
            if name.commonlyUsed != nil { fields.append("name.commonlyUsed") }
            if name.birthName != nil { fields.append("name.birthName") }
            if !name.aliases.isEmpty { fields.append("name.aliases") }
        }
        if !person.otherNames.isEmpty { fields.append("otherNames") }
        if person.deathDate != nil { fields.append("deathDate") }
        if person.birthPlace != nil { fields.append("birthPlace") }
        if person.nationalities.count > 1 || person.nationalities.first == "stateless"
            || person.nationalities.first == "unknown"
        {
            fields.append("nationalities")
        }
        if person.countryOfOrigin != nil { fields.append("countryOfOrigin") }
        if !person.languages.isEmpty { fields.append("languages") }
        if person.maritalStatus != nil { fields.append("maritalStatus") }
        if person.populationType != nil { fields.append("populationType") }
        if !person.specificNeeds.isEmpty { fields.append("specificNeeds") }
        if person.contacts.filter({ $0.kind == "phone" }).count > 1
            || person.contacts.contains(where: { $0.kind != "phone" })
        {
            fields.append("contacts")
        }
        if let levels = person.location?.levels, levels.contains(where: { $0.name != nil }) || levels.count > 1 {
            fields.append("location.levels")
        }
        if person.registrationDate != nil { fields.append("registrationDate") }
        if person.arrivalDate != nil { fields.append("arrivalDate") }
        if !person.relationships.isEmpty { fields.append("relationships") }
        if !person.events.isEmpty { fields.append("events") }
        if person.consent != nil { fields.append("consent") }
        for (namespace, values) in person.extensions {
            for key in values.keys
            where !(namespace == mapping.extensionNamespace && key == ScopeField.householdRole.layoutName) {
                fields.append("extensions.\(namespace).\(key)")
            }
        }
        if person.updatedAt != nil { fields.append("updatedAt") }
        if person.version != nil { fields.append("version") }
        return fields
    }

    /// Canonical fields of a group that the layout has no column for.
    private func notHeld(_ group: RegistrationGroup) -> [String] {
        var fields: [String] = []
        if !group.identifiers.isEmpty { fields.append("identifiers") }
        if let levels = group.location?.levels, levels.contains(where: { $0.name != nil }) || levels.count > 1 {
            fields.append("location.levels")
        }
        for (namespace, values) in group.extensions {
            for key in values.keys { fields.append("extensions.\(namespace).\(key)") }
        }
        if group.updatedAt != nil { fields.append("updatedAt") }
        if group.version != nil { fields.append("version") }
        return fields
    }

    private func issue(_ field: ScopeField, _ rule: String) -> FieldIssue {
        FieldIssue(field: mapping.columnName(field), rule: rule)
    }
}
