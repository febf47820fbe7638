import PrimesModel

/// A canonical field that the row decoder fills straight into a `Person`, without building the person as a
/// JSON tree and decoding that tree: `id`, `name.given`, `group.id`, `contacts[kind=phone].value`, and so on.
///
/// Decoding the JSON form of every row through `JSONDecoder` cost more than half of reading a PING document;
/// the fields PING mappings name are few and fixed, so they are set directly. A mapping that names any other
/// path is read through the JSON form, which handles every path.
enum PINGPersonField: Equatable {
    case id
    case ref
    case sex
    case maritalStatus
    case countryOfOrigin
    case populationType
    case updatedAt
    case birthDate
    case deathDate
    case registrationDate
    case arrivalDate
    case nameGiven
    case nameMiddle
    case nameFamily
    case nameCommonlyUsed
    case nameBirthName
    case nameScript
    case groupId
    case groupRelationshipToFocalPoint
    case contactValue(kind: String)
    case contactPrimary(kind: String)

    /// The field at `path`, or nil when the path is not one set directly.
    init?(_ path: FieldPath) {
        let segments = path.segments
        guard case .key(let root) = segments.first else { return nil }
        switch (root, segments.count) {
        case (_, 1):
            guard let field = Self.topLevel(root) else { return nil }
            self = field
        case ("name", 2):
            guard case .key(let key) = segments[1], let field = Self.name(key) else { return nil }
            self = field
        case ("group", 2):
            guard case .key(let key) = segments[1] else { return nil }
            switch key {
            case "id": self = .groupId
            case "relationshipToFocalPoint": self = .groupRelationshipToFocalPoint
            default: return nil
            }
        case ("contacts", 3):
            guard case .match(field: "kind", value: let kind) = segments[1], case .key(let key) = segments[2] else {
                return nil
            }
            switch key {
            case "value": self = .contactValue(kind: kind)
            case "primary": self = .contactPrimary(kind: kind)
            default: return nil
            }
        default:
            return nil
        }
    }

    private static func topLevel(_ key: String) -> PINGPersonField? {
        switch key {
        case "id": .id
        case "ref": .ref
        case "sex": .sex
        case "maritalStatus": .maritalStatus
        case "countryOfOrigin": .countryOfOrigin
        case "populationType": .populationType
        case "updatedAt": .updatedAt
        case "birthDate": .birthDate
        case "deathDate": .deathDate
        case "registrationDate": .registrationDate
        case "arrivalDate": .arrivalDate
        default: nil
        }
    }

    private static func name(_ key: String) -> PINGPersonField? {
        switch key {
        case "given": .nameGiven
        case "middle": .nameMiddle
        case "family": .nameFamily
        case "commonlyUsed": .nameCommonlyUsed
        case "birthName": .nameBirthName
        case "script": .nameScript
        default: nil
        }
    }
}

/// A value the row decoder puts in a canonical field.
enum PINGCanonicalValue {
    case text(String)
    case date(PartialDate)
    case flag(Bool)

    /// A mapping constant (`alongside: {primary: "true"}`) as a value.
    init?(constant: JSONValue) {
        switch constant {
        case .string(let text): self = .text(text)
        case .bool(let flag): self = .flag(flag)
        default: return nil
        }
    }
}

/// The person one row gives, field by field, for the fields of `PINGPersonField`.
///
/// It gives the same person as decoding the row's JSON form would, or nil where that decoding would fail or
/// differ (a group with a relationship but no id, a contact without a value, a date given to a text field),
/// so that the caller reads such a row through the JSON form and reports what it reports.
struct PINGPersonDraft {
    private(set) var id: String?
    private var ref: String?
    private var sex: String?
    private var maritalStatus: String?
    private var countryOfOrigin: String?
    private var populationType: String?
    private var updatedAt: String?
    private var birthDate: PartialDate?
    private var deathDate: PartialDate?
    private var registrationDate: PartialDate?
    private var arrivalDate: PartialDate?
    private var name: PersonName?
    private var hasGroup = false
    private var groupId: String?
    private var relationshipToFocalPoint: String?
    private var contacts: [(kind: String, value: String?, primary: Bool?)] = []
    /// False once a value of the wrong kind was set: the JSON form would not decode.
    private var decodable = true

    mutating func set(_ value: PINGCanonicalValue, at field: PINGPersonField) {
        switch field {
        case .id: id = text(value)
        case .ref: ref = text(value)
        case .sex: sex = text(value)
        case .maritalStatus: maritalStatus = text(value)
        case .countryOfOrigin: countryOfOrigin = text(value)
        case .populationType: populationType = text(value)
        case .updatedAt: updatedAt = text(value)
        case .birthDate: birthDate = date(value)
        case .deathDate: deathDate = date(value)
        case .registrationDate: registrationDate = date(value)
        case .arrivalDate: arrivalDate = date(value)
        case .nameGiven: setName(\.given, value)
        case .nameMiddle: setName(\.middle, value)
        case .nameFamily: setName(\.family, value)
        case .nameCommonlyUsed: setName(\.commonlyUsed, value)
        case .nameBirthName: setName(\.birthName, value)
        case .nameScript: setName(\.script, value)
        case .groupId:
            hasGroup = true
            groupId = text(value)
        case .groupRelationshipToFocalPoint:
            hasGroup = true
            relationshipToFocalPoint = text(value)
        case .contactValue(let kind):
            let position = contact(kind)
            contacts[position].value = text(value)
        case .contactPrimary(let kind):
            let position = contact(kind)
            if case .flag(let flag) = value { contacts[position].primary = flag } else { decodable = false }
        }
    }

    /// The person, with the other fields empty; nil when the JSON form of the same fields would not decode.
    func person() -> Person? {
        guard decodable else { return nil }
        var group: GroupMembership?
        if hasGroup {
            guard let groupId else { return nil }
            group = GroupMembership(id: groupId, relationshipToFocalPoint: relationshipToFocalPoint)
        }
        var built: [Contact] = []
        built.reserveCapacity(contacts.count)
        for contact in contacts {
            guard let value = contact.value else { return nil }
            built.append(Contact(kind: contact.kind, value: value, primary: contact.primary))
        }
        return Person(
            id: id, ref: ref, name: name, sex: sex, birthDate: birthDate, deathDate: deathDate,
            countryOfOrigin: countryOfOrigin, maritalStatus: maritalStatus, populationType: populationType,
            contacts: built, registrationDate: registrationDate, arrivalDate: arrivalDate, group: group,
            updatedAt: updatedAt)
    }

    private mutating func text(_ value: PINGCanonicalValue) -> String? {
        if case .text(let text) = value { return text }
        decodable = false
        return nil
    }

    private mutating func date(_ value: PINGCanonicalValue) -> PartialDate? {
        if case .date(let date) = value { return date }
        decodable = false
        return nil
    }

    private mutating func setName(_ part: WritableKeyPath<PersonName, String?>, _ value: PINGCanonicalValue) {
        var updated = name ?? PersonName()
        updated[keyPath: part] = text(value)
        name = updated
    }

    /// The position of the first contact of `kind`, added when there is none (as a `[kind=…]` path does).
    private mutating func contact(_ kind: String) -> Int {
        if let position = contacts.firstIndex(where: { $0.kind == kind }) { return position }
        contacts.append((kind, nil, nil))
        return contacts.count - 1
    }
}
