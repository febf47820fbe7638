/// Checks a canonical record against the model's rules and code lists, reporting every problem at once.
public struct Validator: Sendable {
    public let codeLists: CanonicalCodeLists
    private let lists: ValidationCodeLists

    public init(codeLists: CanonicalCodeLists) {
        self.codeLists = codeLists
        lists = ValidationCodeLists(codeLists)
    }

    /// Every problem of the record, each naming the field and the rule; an empty list means it is valid.
    public func validate(_ record: CanonicalRecord) -> [FieldIssue] {
        var issues = IssueCollector(lists: lists)
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
        issues.checkCode(person.sex, in: lists.sex, named: "sex", field: "sex")
        if let birth = person.birthDate, let death = person.deathDate, death.isBefore(birth) {
            issues.add("deathDate", "is before birthDate")
        }
        issues.checkPlace(person.birthPlace, field: "birthPlace")
        for (index, nationality) in person.nationalities.enumerated()
        where nationality != "stateless" && nationality != "unknown" {
            issues.checkCode(
                nationality, in: lists.countries, named: ISOCodeTables.countryListName,
                field: "nationalities[\(index)]")
        }
        if person.nationalities.count > 1 && person.nationalities.contains("stateless") {
            issues.add("nationalities", "stateless cannot stand beside a nationality")
        }
        issues.checkCode(
            person.countryOfOrigin, in: lists.countries, named: ISOCodeTables.countryListName, field: "countryOfOrigin")
        var motherTongues = 0
        for (index, language) in person.languages.enumerated() {
            issues.checkCode(
                language.code, in: lists.languages, named: ISOCodeTables.languageListName,
                field: "languages[\(index)].code")
            if language.motherTongue == true { motherTongues += 1 }
        }
        if motherTongues > 1 {
            issues.add("languages", "at most one mother tongue", severity: .warning)
        }
        issues.checkCode(person.maritalStatus, in: lists.maritalStatus, named: "marital-status", field: "maritalStatus")
        issues.checkCode(
            person.populationType, in: lists.populationType, named: "population-type", field: "populationType")
        for (index, need) in person.specificNeeds.enumerated() {
            issues.checkCode(need, in: lists.specificNeeds, named: "specific-needs", field: "specificNeeds[\(index)]")
        }
        issues.checkContacts(person.contacts)
        issues.checkLocation(person.location, field: "location")
        if let group = person.group {
            issues.checkNotBlank(group.id, field: "group.id")
            issues.checkCode(
                group.relationshipToFocalPoint, in: lists.relationshipType, named: "relationship-type",
                field: "group.relationshipToFocalPoint")
        }
        for (index, relationship) in person.relationships.enumerated() {
            issues.checkCode(
                relationship.type, in: lists.relationshipType, named: "relationship-type",
                field: "relationships[\(index)].type")
            issues.checkNotBlank(relationship.ref, field: "relationships[\(index)].ref")
        }
        for (index, event) in person.events.enumerated() {
            issues.checkCode(event.type, in: lists.eventType, named: "event-type", field: "events[\(index)].type")
            issues.checkCode(event.role, in: lists.eventRole, named: "event-role", field: "events[\(index)].role")
            issues.checkPlace(event.place, field: "events[\(index)].place")
        }
        if let consent = person.consent {
            issues.checkCode(consent.status, in: lists.consentStatus, named: "consent-status", field: "consent.status")
        }
        issues.checkExtensions(person.extensions)
        issues.checkVersion(person.version, updatedAt: person.updatedAt)
    }

    private func check(_ group: RegistrationGroup, into issues: inout IssueCollector) {
        issues.checkNotBlank(group.id, field: "id")
        issues.checkIdentifiers(group.identifiers)
        if let size = group.size, size < 1 { issues.add("size", "must be at least 1") }
        issues.checkLocation(group.location, field: "location")
        issues.checkCode(
            group.residenceStatus, in: lists.residenceStatus, named: "residence-status", field: "residenceStatus")
        issues.checkCode(
            group.vulnerabilityRating, in: lists.vulnerabilityRating, named: "vulnerability-rating",
            field: "vulnerabilityRating")
        // a household has a handful of members: comparing with the earlier ones beats hashing into a set
        let members = group.members
        let large = members.count > 32
        var refs = Set<String>(minimumCapacity: large ? members.count : 0)
        var focalPoints = 0
        for (index, member) in members.enumerated() {
            issues.checkNotBlank(member.ref, field: "members[\(index)].ref")
            let repeated =
                large ? !refs.insert(member.ref).inserted : members[..<index].contains { $0.ref == member.ref }
            if repeated { issues.add("members[\(index)].ref", "member listed twice") }
            issues.checkCode(
                member.relationshipToFocalPoint, in: lists.relationshipType, named: "relationship-type",
                field: "members[\(index)].relationshipToFocalPoint")
            if member.focalPoint { focalPoints += 1 }
        }
        if focalPoints > 1 { issues.add("members", "more than one focal point") }
        issues.checkExtensions(group.extensions)
        issues.checkVersion(group.version, updatedAt: group.updatedAt)
    }
}

/// The canonical code lists the validator checks against, looked up by name once instead of for every field.
///
/// A class, so that each record's `IssueCollector` holds one reference rather than a copy of thirteen lists.
final class ValidationCodeLists: Sendable {
    let sex: CodeList?
    let maritalStatus: CodeList?
    let populationType: CodeList?
    let relationshipType: CodeList?
    let specificNeeds: CodeList?
    let eventType: CodeList?
    let eventRole: CodeList?
    let contactKind: CodeList?
    let residenceStatus: CodeList?
    let vulnerabilityRating: CodeList?
    let consentStatus: CodeList?
    let countries: CodeList?
    let languages: CodeList?

    init(_ lists: CanonicalCodeLists) {
        sex = lists["sex"]
        maritalStatus = lists["marital-status"]
        populationType = lists["population-type"]
        relationshipType = lists["relationship-type"]
        specificNeeds = lists["specific-needs"]
        eventType = lists["event-type"]
        eventRole = lists["event-role"]
        contactKind = lists["contact-kind"]
        residenceStatus = lists["residence-status"]
        vulnerabilityRating = lists["vulnerability-rating"]
        consentStatus = lists["consent-status"]
        countries = lists[ISOCodeTables.countryListName]
        languages = lists[ISOCodeTables.languageListName]
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
