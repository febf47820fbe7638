/// One person as the gateway knows them: the canonical PRIMES person that every adapter reads into and
/// writes from.
///
/// Coded fields (`sex`, `maritalStatus`, `populationType`, …) hold codes from the canonical code lists in
/// `Mappings/codes/canonical/`; `Validator` checks them. Every field but `recordType` may be absent, because
/// registration happens in stages and a partner may hold only part of a record.
public struct Person: Hashable, Sendable {
    /// The PRIMES (proGres) individual id, such as `803-100016547` or `NUR-00142746`, when known.
    public var id: String?
    /// The key that relationships and group members in the same exchange use to point at this person.
    public var ref: String?
    public var identifiers: [Identifier]
    public var name: PersonName?
    /// The same person's name in other scripts or transliterations.
    public var otherNames: [PersonName]
    public var sex: String?
    public var birthDate: PartialDate?
    public var deathDate: PartialDate?
    public var birthPlace: Place?
    /// ISO 3166-1 alpha-3 codes, or the explicit states `stateless` and `unknown`.
    public var nationalities: [String]
    public var countryOfOrigin: String?
    public var languages: [LanguageSkill]
    public var maritalStatus: String?
    public var populationType: String?
    public var specificNeeds: [String]
    public var contacts: [Contact]
    public var location: Location?
    public var registrationDate: PartialDate?
    public var arrivalDate: PartialDate?
    public var group: GroupMembership?
    public var relationships: [Relationship]
    public var events: [CivilEvent]
    public var consent: Consent?
    public var provenance: Provenance?
    /// Source fields that no canonical field holds, by namespace (`unhcr.progres`, `unicef.primero`) and field.
    public var extensions: [String: [String: JSONValue]]
    /// When the source last changed the record, as an ISO 8601 date-time.
    public var updatedAt: String?
    public var version: Int?

    public init(
        id: String? = nil,
        ref: String? = nil,
        identifiers: [Identifier] = [],
        name: PersonName? = nil,
        otherNames: [PersonName] = [],
        sex: String? = nil,
        birthDate: PartialDate? = nil,
        deathDate: PartialDate? = nil,
        birthPlace: Place? = nil,
        nationalities: [String] = [],
        countryOfOrigin: String? = nil,
        languages: [LanguageSkill] = [],
        maritalStatus: String? = nil,
        populationType: String? = nil,
        specificNeeds: [String] = [],
        contacts: [Contact] = [],
        location: Location? = nil,
        registrationDate: PartialDate? = nil,
        arrivalDate: PartialDate? = nil,
        group: GroupMembership? = nil,
        relationships: [Relationship] = [],
        events: [CivilEvent] = [],
        consent: Consent? = nil,
        provenance: Provenance? = nil,
        extensions: [String: [String: JSONValue]] = [:],
        updatedAt: String? = nil,
        version: Int? = nil
    ) {
        self.id = id
        self.ref = ref
        self.identifiers = identifiers
        self.name = name
        self.otherNames = otherNames
        self.sex = sex
        self.birthDate = birthDate
        self.deathDate = deathDate
        self.birthPlace = birthPlace
        self.nationalities = nationalities
        self.countryOfOrigin = countryOfOrigin
        self.languages = languages
        self.maritalStatus = maritalStatus
        self.populationType = populationType
        self.specificNeeds = specificNeeds
        self.contacts = contacts
        self.location = location
        self.registrationDate = registrationDate
        self.arrivalDate = arrivalDate
        self.group = group
        self.relationships = relationships
        self.events = events
        self.consent = consent
        self.provenance = provenance
        self.extensions = extensions
        self.updatedAt = updatedAt
        self.version = version
    }

    /// The value of the first identifier with the given scheme.
    public func identifier(_ scheme: String) -> String? {
        identifiers.first { $0.scheme == scheme }?.value
    }
}

extension Person: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case recordType, id, ref, identifiers, name, otherNames, sex, birthDate, deathDate, birthPlace
        case nationalities, countryOfOrigin, languages, maritalStatus, populationType, specificNeeds, contacts
        case location, registrationDate, arrivalDate, group, relationships, events, consent, provenance
        case extensions, updatedAt, version
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try container.expectRecordType(.person, forKey: .recordType)
        self.init(
            id: try container.decodeIfPresent(String.self, forKey: .id),
            ref: try container.decodeIfPresent(String.self, forKey: .ref),
            identifiers: try container.decodeList(Identifier.self, forKey: .identifiers),
            name: try container.decodeIfPresent(PersonName.self, forKey: .name),
            otherNames: try container.decodeList(PersonName.self, forKey: .otherNames),
            sex: try container.decodeIfPresent(String.self, forKey: .sex),
            birthDate: try container.decodeIfPresent(PartialDate.self, forKey: .birthDate),
            deathDate: try container.decodeIfPresent(PartialDate.self, forKey: .deathDate),
            birthPlace: try container.decodeIfPresent(Place.self, forKey: .birthPlace),
            nationalities: try container.decodeList(String.self, forKey: .nationalities),
            countryOfOrigin: try container.decodeIfPresent(String.self, forKey: .countryOfOrigin),
            languages: try container.decodeList(LanguageSkill.self, forKey: .languages),
            maritalStatus: try container.decodeIfPresent(String.self, forKey: .maritalStatus),
            populationType: try container.decodeIfPresent(String.self, forKey: .populationType),
            specificNeeds: try container.decodeList(String.self, forKey: .specificNeeds),
            contacts: try container.decodeList(Contact.self, forKey: .contacts),
            location: try container.decodeIfPresent(Location.self, forKey: .location),
            registrationDate: try container.decodeIfPresent(PartialDate.self, forKey: .registrationDate),
            arrivalDate: try container.decodeIfPresent(PartialDate.self, forKey: .arrivalDate),
            group: try container.decodeIfPresent(GroupMembership.self, forKey: .group),
            relationships: try container.decodeList(Relationship.self, forKey: .relationships),
            events: try container.decodeList(CivilEvent.self, forKey: .events),
            consent: try container.decodeIfPresent(Consent.self, forKey: .consent),
            provenance: try container.decodeIfPresent(Provenance.self, forKey: .provenance),
            extensions: try container.decodeIfPresent([String: [String: JSONValue]].self, forKey: .extensions) ?? [:],
            updatedAt: try container.decodeIfPresent(String.self, forKey: .updatedAt),
            version: try container.decodeIfPresent(Int.self, forKey: .version)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(RecordType.person, forKey: .recordType)
        try container.encodeIfPresent(id, forKey: .id)
        try container.encodeIfPresent(ref, forKey: .ref)
        try container.encodeList(identifiers, forKey: .identifiers)
        try container.encodeIfPresent(name, forKey: .name)
        try container.encodeList(otherNames, forKey: .otherNames)
        try container.encodeIfPresent(sex, forKey: .sex)
        try container.encodeIfPresent(birthDate, forKey: .birthDate)
        try container.encodeIfPresent(deathDate, forKey: .deathDate)
        try container.encodeIfPresent(birthPlace, forKey: .birthPlace)
        try container.encodeList(nationalities, forKey: .nationalities)
        try container.encodeIfPresent(countryOfOrigin, forKey: .countryOfOrigin)
        try container.encodeList(languages, forKey: .languages)
        try container.encodeIfPresent(maritalStatus, forKey: .maritalStatus)
        try container.encodeIfPresent(populationType, forKey: .populationType)
        try container.encodeList(specificNeeds, forKey: .specificNeeds)
        try container.encodeList(contacts, forKey: .contacts)
        try container.encodeIfPresent(location, forKey: .location)
        try container.encodeIfPresent(registrationDate, forKey: .registrationDate)
        try container.encodeIfPresent(arrivalDate, forKey: .arrivalDate)
        try container.encodeIfPresent(group, forKey: .group)
        try container.encodeList(relationships, forKey: .relationships)
        try container.encodeList(events, forKey: .events)
        try container.encodeIfPresent(consent, forKey: .consent)
        try container.encodeIfPresent(provenance, forKey: .provenance)
        if !extensions.isEmpty { try container.encode(extensions, forKey: .extensions) }
        try container.encodeIfPresent(updatedAt, forKey: .updatedAt)
        try container.encodeIfPresent(version, forKey: .version)
    }
}
