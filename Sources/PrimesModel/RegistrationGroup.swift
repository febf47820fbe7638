/// A registration group: a proGres case or a SCOPE household, with its members and their roles.
public struct RegistrationGroup: Hashable, Sendable {
    /// The group's id, such as the proGres group number `803-23-1009229`.
    public var id: String
    public var identifiers: [Identifier]
    /// The household's name, as SCOPE records it.
    public var name: String?
    /// The number of people the source says the group has, which may differ from the members listed.
    public var size: Int?
    public var location: Location?
    /// A code of the `residence-status` list.
    public var residenceStatus: String?
    /// A code of the `vulnerability-rating` list.
    public var vulnerabilityRating: String?
    public var arrivalDate: PartialDate?
    public var registrationSource: String?
    public var members: [GroupMember]
    public var provenance: Provenance?
    public var extensions: [String: [String: JSONValue]]
    public var updatedAt: String?
    public var version: Int?

    public init(
        id: String,
        identifiers: [Identifier] = [],
        name: String? = nil,
        size: Int? = nil,
        location: Location? = nil,
        residenceStatus: String? = nil,
        vulnerabilityRating: String? = nil,
        arrivalDate: PartialDate? = nil,
        registrationSource: String? = nil,
        members: [GroupMember] = [],
        provenance: Provenance? = nil,
        extensions: [String: [String: JSONValue]] = [:],
        updatedAt: String? = nil,
        version: Int? = nil
    ) {
        self.id = id
        self.identifiers = identifiers
        self.name = name
        self.size = size
        self.location = location
        self.residenceStatus = residenceStatus
        self.vulnerabilityRating = vulnerabilityRating
        self.arrivalDate = arrivalDate
        self.registrationSource = registrationSource
        self.members = members
        self.provenance = provenance
        self.extensions = extensions
        self.updatedAt = updatedAt
        self.version = version
    }
}

/// A member of a registration group, by the person's `ref`, with the three distinct roles.
public struct GroupMember: Hashable, Sendable {
    public var ref: String
    public var relationshipToFocalPoint: String?
    public var focalPoint: Bool
    public var principalRecipient: Bool
    public var alternateRecipient: Bool

    public init(
        ref: String,
        relationshipToFocalPoint: String? = nil,
        focalPoint: Bool = false,
        principalRecipient: Bool = false,
        alternateRecipient: Bool = false
    ) {
        self.ref = ref
        self.relationshipToFocalPoint = relationshipToFocalPoint
        self.focalPoint = focalPoint
        self.principalRecipient = principalRecipient
        self.alternateRecipient = alternateRecipient
    }
}

extension RegistrationGroup: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case recordType, id, identifiers, name, size, location, residenceStatus, vulnerabilityRating
        case arrivalDate, registrationSource, members, provenance, extensions, updatedAt, version
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try container.expectRecordType(.group, forKey: .recordType)
        self.init(
            id: try container.decode(String.self, forKey: .id),
            identifiers: try container.decodeList(Identifier.self, forKey: .identifiers),
            name: try container.decodeIfPresent(String.self, forKey: .name),
            size: try container.decodeIfPresent(Int.self, forKey: .size),
            location: try container.decodeIfPresent(Location.self, forKey: .location),
            residenceStatus: try container.decodeIfPresent(String.self, forKey: .residenceStatus),
            vulnerabilityRating: try container.decodeIfPresent(String.self, forKey: .vulnerabilityRating),
            arrivalDate: try container.decodeIfPresent(PartialDate.self, forKey: .arrivalDate),
            registrationSource: try container.decodeIfPresent(String.self, forKey: .registrationSource),
            members: try container.decodeList(GroupMember.self, forKey: .members),
            provenance: try container.decodeIfPresent(Provenance.self, forKey: .provenance),
            extensions: try container.decodeIfPresent([String: [String: JSONValue]].self, forKey: .extensions) ?? [:],
            updatedAt: try container.decodeIfPresent(String.self, forKey: .updatedAt),
            version: try container.decodeIfPresent(Int.self, forKey: .version)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(RecordType.group, forKey: .recordType)
        try container.encode(id, forKey: .id)
        try container.encodeList(identifiers, forKey: .identifiers)
        try container.encodeIfPresent(name, forKey: .name)
        try container.encodeIfPresent(size, forKey: .size)
        try container.encodeIfPresent(location, forKey: .location)
        try container.encodeIfPresent(residenceStatus, forKey: .residenceStatus)
        try container.encodeIfPresent(vulnerabilityRating, forKey: .vulnerabilityRating)
        try container.encodeIfPresent(arrivalDate, forKey: .arrivalDate)
        try container.encodeIfPresent(registrationSource, forKey: .registrationSource)
        try container.encodeList(members, forKey: .members)
        try container.encodeIfPresent(provenance, forKey: .provenance)
        if !extensions.isEmpty { try container.encode(extensions, forKey: .extensions) }
        try container.encodeIfPresent(updatedAt, forKey: .updatedAt)
        try container.encodeIfPresent(version, forKey: .version)
    }
}

extension GroupMember: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case ref, relationshipToFocalPoint, focalPoint, principalRecipient, alternateRecipient
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ref = try container.decode(String.self, forKey: .ref)
        relationshipToFocalPoint = try container.decodeIfPresent(String.self, forKey: .relationshipToFocalPoint)
        focalPoint = try container.decodeIfPresent(Bool.self, forKey: .focalPoint) ?? false
        principalRecipient = try container.decodeIfPresent(Bool.self, forKey: .principalRecipient) ?? false
        alternateRecipient = try container.decodeIfPresent(Bool.self, forKey: .alternateRecipient) ?? false
    }
}
