/// Checks a canonical record against the model's rules and code lists, reporting every problem at once.
public struct Validator: Sendable {
    public let codeLists: CanonicalCodeLists

    public init(codeLists: CanonicalCodeLists) {
        self.codeLists = codeLists
    }

    /// Every problem of the record, each naming the field and the rule; an empty list means it is valid.
    public func validate(_ record: CanonicalRecord) -> [FieldIssue] {
        var issues = IssueCollector(codeLists: codeLists)
        switch record {
        case .person(let person): check(person, into: &issues)
        case .group(let group): check(group, into: &issues)
        }
        return issues.found
    }

    private func check(_ person: Person, into issues: inout IssueCollector) {
        if person.id == nil && person.ref == nil && person.identifiers.isEmpty {
            issues.add("id", "a person needs an id, a ref or an identifier")
        }
        if let id = person.id { issues.checkProgresId(id, field: "id") }
        issues.checkIdentifiers(person.identifiers)
        if let name = person.name { issues.checkName(name, field: "name") }
        for (index, name) in person.otherNames.enumerated() { issues.checkName(name, field: "otherNames[\(index)]") }
        issues.checkCode(person.sex, list: "sex", field: "sex")
        if let birth = person.birthDate, let death = person.deathDate, death.isBefore(birth) {
            issues.add("deathDate", "is before birthDate")
        }
        issues.checkPlace(person.birthPlace, field: "birthPlace")
        for (index, nationality) in person.nationalities.enumerated()
        where nationality != "stateless" && nationality != "unknown" {
            issues.checkCode(nationality, list: ISOCodeTables.countryListName, field: "nationalities[\(index)]")
        }
        if person.nationalities.contains("stateless") && person.nationalities.count > 1 {
            issues.add("nationalities", "stateless cannot stand beside a nationality")
        }
        issues.checkCode(person.countryOfOrigin, list: ISOCodeTables.countryListName, field: "countryOfOrigin")
        for (index, language) in person.languages.enumerated() {
            issues.checkCode(language.code, list: ISOCodeTables.languageListName, field: "languages[\(index)].code")
        }
        if person.languages.filter({ $0.motherTongue == true }).count > 1 {
            issues.add("languages", "at most one mother tongue", severity: .warning)
        }
        issues.checkCode(person.maritalStatus, list: "marital-status", field: "maritalStatus")
        issues.checkCode(person.populationType, list: "population-type", field: "populationType")
        for (index, need) in person.specificNeeds.enumerated() {
            issues.checkCode(need, list: "specific-needs", field: "specificNeeds[\(index)]")
        }
        issues.checkContacts(person.contacts)
        issues.checkLocation(person.location, field: "location")
        if let group = person.group {
            issues.checkNotBlank(group.id, field: "group.id")
            issues.checkCode(
                group.relationshipToFocalPoint, list: "relationship-type", field: "group.relationshipToFocalPoint")
        }
        for (index, relationship) in person.relationships.enumerated() {
            issues.checkCode(relationship.type, list: "relationship-type", field: "relationships[\(index)].type")
            issues.checkNotBlank(relationship.ref, field: "relationships[\(index)].ref")
        }
        for (index, event) in person.events.enumerated() {
            issues.checkCode(event.type, list: "event-type", field: "events[\(index)].type")
            issues.checkCode(event.role, list: "event-role", field: "events[\(index)].role")
            issues.checkPlace(event.place, field: "events[\(index)].place")
        }
        if let consent = person.consent {
            issues.checkCode(consent.status, list: "consent-status", field: "consent.status")
        }
        issues.checkExtensions(person.extensions)
        issues.checkVersion(person.version, updatedAt: person.updatedAt)
    }

    private func check(_ group: RegistrationGroup, into issues: inout IssueCollector) {
        issues.checkNotBlank(group.id, field: "id")
        issues.checkIdentifiers(group.identifiers)
        if let size = group.size, size < 1 { issues.add("size", "must be at least 1") }
        issues.checkLocation(group.location, field: "location")
        issues.checkCode(group.residenceStatus, list: "residence-status", field: "residenceStatus")
        issues.checkCode(group.vulnerabilityRating, list: "vulnerability-rating", field: "vulnerabilityRating")
        var refs = Set<String>()
        for (index, member) in group.members.enumerated() {
            issues.checkNotBlank(member.ref, field: "members[\(index)].ref")
            if !refs.insert(member.ref).inserted { issues.add("members[\(index)].ref", "member listed twice") }
            issues.checkCode(
                member.relationshipToFocalPoint,
                list: "relationship-type",
                field: "members[\(index)].relationshipToFocalPoint"
            )
        }
        if group.members.filter(\.focalPoint).count > 1 { issues.add("members", "more than one focal point") }
        issues.checkExtensions(group.extensions)
        issues.checkVersion(group.version, updatedAt: group.updatedAt)
    }
}

extension PartialDate {
    /// Whether this date is certainly earlier than `other`, comparing only the parts both of them know.
    func isBefore(_ other: PartialDate) -> Bool {
        if year != other.year { return year < other.year }
        guard let month, let otherMonth = other.month else { return false }
        if month != otherMonth { return month < otherMonth }
        guard let day, let otherDay = other.day else { return false }
        return day < otherDay
    }
}
