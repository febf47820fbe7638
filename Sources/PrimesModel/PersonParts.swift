/// An identifier a system gave the person: `{scheme, value, issuer?}`.
///
/// Schemes are dotted names or URIs: `unhcr.progres.individual`, `wfp.scope.member`, `unicef.primero.case`,
/// `national.id`, `civil.birth-registration-number`, `bims`.
public struct Identifier: Hashable, Sendable {
    public var scheme: String
    public var value: String
    /// Who issued the identifier, such as a country code or a registry's name.
    public var issuer: String?

    public init(scheme: String, value: String, issuer: String? = nil) {
        self.scheme = scheme
        self.value = value
        self.issuer = issuer
    }
}

/// A person's name in one script.
public struct PersonName: Hashable, Sendable {
    public var given: String?
    public var middle: String?
    public var family: String?
    public var commonlyUsed: String?
    /// The family name at birth.
    public var birthName: String?
    public var aliases: [String]
    /// The ISO 15924 script the name is written in (`Latn`, `Arab`), when the source says.
    public var script: String?

    public init(
        given: String? = nil,
        middle: String? = nil,
        family: String? = nil,
        commonlyUsed: String? = nil,
        birthName: String? = nil,
        aliases: [String] = [],
        script: String? = nil
    ) {
        self.given = given
        self.middle = middle
        self.family = family
        self.commonlyUsed = commonlyUsed
        self.birthName = birthName
        self.aliases = aliases
        self.script = script
    }
}

/// A place as sources give it: free text, and a country and administrative code where known.
public struct Place: Hashable, Sendable {
    public var text: String?
    /// ISO 3166-1 alpha-3.
    public var country: String?
    public var adminCode: String?

    public init(text: String? = nil, country: String? = nil, adminCode: String? = nil) {
        self.text = text
        self.country = country
        self.adminCode = adminCode
    }
}

/// A language the person speaks, by ISO 639-3 code, with optional skill levels as the source states them.
public struct LanguageSkill: Hashable, Sendable {
    public var code: String
    public var motherTongue: Bool?
    public var read: String?
    public var write: String?
    public var speak: String?
    public var understand: String?

    public init(
        code: String,
        motherTongue: Bool? = nil,
        read: String? = nil,
        write: String? = nil,
        speak: String? = nil,
        understand: String? = nil
    ) {
        self.code = code
        self.motherTongue = motherTongue
        self.read = read
        self.write = write
        self.speak = speak
        self.understand = understand
    }
}

/// A way to reach the person: a phone number (E.164 where possible) or an e-mail address.
public struct Contact: Hashable, Sendable {
    /// A code of the `contact-kind` list: `phone` or `email`.
    public var kind: String
    public var value: String
    public var primary: Bool?

    public init(kind: String, value: String, primary: Bool? = nil) {
        self.kind = kind
        self.value = value
        self.primary = primary
    }
}

/// Where the person lives: administrative levels 1 to 6 and a free address.
public struct Location: Hashable, Sendable {
    public var levels: [AdminLevel]
    public var address: String?

    public init(levels: [AdminLevel] = [], address: String? = nil) {
        self.levels = levels
        self.address = address
    }

    /// The most precise administrative code given, the one formats with a single location column carry.
    public var mostPreciseCode: String? {
        levels.filter { $0.code != nil }.max { $0.level < $1.level }?.code
    }
}

/// One administrative level of a location: level 1 is the largest division.
public struct AdminLevel: Hashable, Sendable {
    public var level: Int
    public var code: String?
    public var name: String?

    public init(level: Int, code: String? = nil, name: String? = nil) {
        self.level = level
        self.code = code
        self.name = name
    }
}

/// The person's place in their registration group (a proGres case, a SCOPE household).
///
/// The three roles are distinct: the focal point (head of household) need not be the principal recipient of
/// assistance, and an alternate recipient may not be a family member at all.
public struct GroupMembership: Hashable, Sendable {
    /// The group's id, as in the `id` of its `RegistrationGroup` record.
    public var id: String
    /// A code of the `relationship-type` list; `self` for the focal point.
    public var relationshipToFocalPoint: String?
    public var focalPoint: Bool
    public var principalRecipient: Bool
    public var alternateRecipient: Bool

    public init(
        id: String,
        relationshipToFocalPoint: String? = nil,
        focalPoint: Bool = false,
        principalRecipient: Bool = false,
        alternateRecipient: Bool = false
    ) {
        self.id = id
        self.relationshipToFocalPoint = relationshipToFocalPoint
        self.focalPoint = focalPoint
        self.principalRecipient = principalRecipient
        self.alternateRecipient = alternateRecipient
    }
}

/// A typed link to another person of the same exchange: "this record's `mother` is the person whose `ref` is …".
public struct Relationship: Hashable, Sendable {
    /// A code of the `relationship-type` list.
    public var type: String
    /// The other person's `ref` (or `id`).
    public var ref: String

    public init(type: String, ref: String) {
        self.type = type
        self.ref = ref
    }
}

/// A civil-registration event the person took part in, and the role they played.
public struct CivilEvent: Hashable, Sendable {
    /// A code of the `event-type` list: birth, death, marriage, divorce, adoption.
    public var type: String
    /// A code of the `event-role` list: `subject` for the child born or the person who died, else the role.
    public var role: String
    public var date: PartialDate?
    public var place: Place?
    public var registration: CivilRegistration?

    public init(
        type: String,
        role: String = "subject",
        date: PartialDate? = nil,
        place: Place? = nil,
        registration: CivilRegistration? = nil
    ) {
        self.type = type
        self.role = role
        self.date = date
        self.place = place
        self.registration = registration
    }
}

/// How a civil registry recorded an event: its number, date and authority.
public struct CivilRegistration: Hashable, Sendable {
    public var number: String?
    public var date: PartialDate?
    public var authority: String?

    public init(number: String? = nil, date: PartialDate? = nil, authority: String? = nil) {
        self.number = number
        self.date = date
        self.authority = authority
    }
}

/// Consent and sharing as the source states them.
public struct Consent: Hashable, Sendable {
    /// A code of the `consent-status` list: granted, refused, withdrawn, unknown.
    public var status: String
    /// The purposes the consent covers, in the source's words.
    public var purposes: [String]
    public var date: PartialDate?

    public init(status: String, purposes: [String] = [], date: PartialDate? = nil) {
        self.status = status
        self.purposes = purposes
        self.date = date
    }
}

/// Where a record came from.
public struct Provenance: Hashable, Sendable {
    /// The source system, such as `unhcr.progres`, `wfp.scope`, `unicef.primero`, a registry's name.
    public var system: String?
    public var recordId: String?
    /// The gateway format the record was read from, such as `scope-csv`.
    public var format: String?
    public var formatVersion: String?
    /// When the gateway received it, as an ISO 8601 date-time.
    public var receivedAt: String?

    public init(
        system: String? = nil,
        recordId: String? = nil,
        format: String? = nil,
        formatVersion: String? = nil,
        receivedAt: String? = nil
    ) {
        self.system = system
        self.recordId = recordId
        self.format = format
        self.formatVersion = formatVersion
        self.receivedAt = receivedAt
    }
}

// MARK: - Codable

// Strict decoding: an unknown key is an error, an absent list is empty, and lists are written only when
// they have elements. Encoding of optional fields is synthesized (`encodeIfPresent`).

extension Identifier: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case scheme, value, issuer
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        scheme = try container.decode(String.self, forKey: .scheme)
        value = try container.decode(String.self, forKey: .value)
        issuer = try container.decodeIfPresent(String.self, forKey: .issuer)
    }
}

extension PersonName: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case given, middle, family, commonlyUsed, birthName, aliases, script
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        given = try container.decodeIfPresent(String.self, forKey: .given)
        middle = try container.decodeIfPresent(String.self, forKey: .middle)
        family = try container.decodeIfPresent(String.self, forKey: .family)
        commonlyUsed = try container.decodeIfPresent(String.self, forKey: .commonlyUsed)
        birthName = try container.decodeIfPresent(String.self, forKey: .birthName)
        aliases = try container.decodeList(String.self, forKey: .aliases)
        script = try container.decodeIfPresent(String.self, forKey: .script)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(given, forKey: .given)
        try container.encodeIfPresent(middle, forKey: .middle)
        try container.encodeIfPresent(family, forKey: .family)
        try container.encodeIfPresent(commonlyUsed, forKey: .commonlyUsed)
        try container.encodeIfPresent(birthName, forKey: .birthName)
        try container.encodeList(aliases, forKey: .aliases)
        try container.encodeIfPresent(script, forKey: .script)
    }
}

extension Place: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case text, country, adminCode
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        text = try container.decodeIfPresent(String.self, forKey: .text)
        country = try container.decodeIfPresent(String.self, forKey: .country)
        adminCode = try container.decodeIfPresent(String.self, forKey: .adminCode)
    }
}

extension LanguageSkill: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case code, motherTongue, read, write, speak, understand
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decode(String.self, forKey: .code)
        motherTongue = try container.decodeIfPresent(Bool.self, forKey: .motherTongue)
        read = try container.decodeIfPresent(String.self, forKey: .read)
        write = try container.decodeIfPresent(String.self, forKey: .write)
        speak = try container.decodeIfPresent(String.self, forKey: .speak)
        understand = try container.decodeIfPresent(String.self, forKey: .understand)
    }
}

extension Contact: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, value, primary
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(String.self, forKey: .kind)
        value = try container.decode(String.self, forKey: .value)
        primary = try container.decodeIfPresent(Bool.self, forKey: .primary)
    }
}

extension Location: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case levels, address
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        levels = try container.decodeList(AdminLevel.self, forKey: .levels)
        address = try container.decodeIfPresent(String.self, forKey: .address)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeList(levels, forKey: .levels)
        try container.encodeIfPresent(address, forKey: .address)
    }
}

extension AdminLevel: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case level, code, name
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        level = try container.decode(Int.self, forKey: .level)
        code = try container.decodeIfPresent(String.self, forKey: .code)
        name = try container.decodeIfPresent(String.self, forKey: .name)
    }
}

extension GroupMembership: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, relationshipToFocalPoint, focalPoint, principalRecipient, alternateRecipient
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        relationshipToFocalPoint = try container.decodeIfPresent(String.self, forKey: .relationshipToFocalPoint)
        focalPoint = try container.decodeIfPresent(Bool.self, forKey: .focalPoint) ?? false
        principalRecipient = try container.decodeIfPresent(Bool.self, forKey: .principalRecipient) ?? false
        alternateRecipient = try container.decodeIfPresent(Bool.self, forKey: .alternateRecipient) ?? false
    }
}

extension Relationship: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case type, ref
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        ref = try container.decode(String.self, forKey: .ref)
    }
}

extension CivilEvent: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case type, role, date, place, registration
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        role = try container.decode(String.self, forKey: .role)
        date = try container.decodeIfPresent(PartialDate.self, forKey: .date)
        place = try container.decodeIfPresent(Place.self, forKey: .place)
        registration = try container.decodeIfPresent(CivilRegistration.self, forKey: .registration)
    }
}

extension CivilRegistration: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case number, date, authority
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        number = try container.decodeIfPresent(String.self, forKey: .number)
        date = try container.decodeIfPresent(PartialDate.self, forKey: .date)
        authority = try container.decodeIfPresent(String.self, forKey: .authority)
    }
}

extension Consent: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case status, purposes, date
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        status = try container.decode(String.self, forKey: .status)
        purposes = try container.decodeList(String.self, forKey: .purposes)
        date = try container.decodeIfPresent(PartialDate.self, forKey: .date)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
        try container.encodeList(purposes, forKey: .purposes)
        try container.encodeIfPresent(date, forKey: .date)
    }
}

extension Provenance: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case system, recordId, format, formatVersion, receivedAt
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        system = try container.decodeIfPresent(String.self, forKey: .system)
        recordId = try container.decodeIfPresent(String.self, forKey: .recordId)
        format = try container.decodeIfPresent(String.self, forKey: .format)
        formatVersion = try container.decodeIfPresent(String.self, forKey: .formatVersion)
        receivedAt = try container.decodeIfPresent(String.self, forKey: .receivedAt)
    }
}
