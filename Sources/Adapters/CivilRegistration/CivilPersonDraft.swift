import PrimesModel

/// A value a rule read: a text, a date, or (for a repeating element) a tree of items.
enum CivilValue {
    case text(String)
    case date(PartialDate)
    case tree(JSONValue)
    /// A repeating element's items (identifiers), read typed.
    case items([CivilItemFields])

    /// The value as the JSON trees hold it.
    var json: JSONValue {
        switch self {
        case .text(let text): .string(text)
        case .date(let date):
            .object([
                "value": .string(date.isoText), "precision": .string(date.precision.rawValue),
                "estimated": .bool(date.estimated),
            ])
        case .tree(let tree): tree
        case .items(let items): .array(items.map(\.tree))
        }
    }

    var scalarText: String? {
        switch self {
        case .text(let text): text
        case .date, .items: nil
        case .tree(let tree): tree.scalarText
        }
    }
}

/// A person (or a record's civil event) as the rules fill it, in one of two forms chosen per record.
///
/// Typed, the canonical fields that dialects fill are set directly. As a tree, any canonical field can be set
/// by its `FieldPath`, and `CivilPersonJSON` turns the tree into a person or reports what is wrong with it.
/// The assembler reads a record typed first; a write the typed fields do not take (another field, an odd
/// shape) marks the record, and it is read again as trees, so that the outcome is always the trees' one.
struct CivilDraft<Fields: CivilDraftFields> {
    private(set) var fields: Fields?
    private(set) var tree = JSONValue.object([:])

    init(typed: Bool) {
        fields = typed ? Fields() : nil
    }

    var isTyped: Bool { fields != nil }

    /// Whether no write has been made.
    var isEmpty: Bool {
        if let fields { return fields.isEmpty }
        if case .object(let object) = tree { return object.isEmpty }
        return false
    }

    /// Sets the field at `path` (known typed as `target`, when it is a field the typed drafts hold); false
    /// when typed and the typed fields do not take this write.
    mutating func set(_ path: FieldPath, _ value: CivilValue, target: CivilFieldTarget?) throws(FieldPathError)
        -> Bool
    {
        // Through the optional in place: copying the typed person on every write showed in profiles.
        if fields != nil { return setTyped(value, target: target) }
        try path.set(value.json, in: &tree)
        return true
    }

    /// Sets the typed field `target` of a typed draft; false when the typed fields do not take this write.
    mutating func setTyped(_ value: CivilValue, target: CivilFieldTarget?) -> Bool {
        guard let target else { return false }
        return fields?.set(target, value) == true
    }

    /// Adds values kept from the source under `namespace` of the person's extensions.
    mutating func keep(_ values: [(String, JSONValue)], in namespace: String) -> Bool {
        if fields != nil { return fields?.keep(values, in: namespace) == true }
        var extensions = tree.member("extensions") ?? .object([:])
        var kept = extensions.member(namespace) ?? .object([:])
        for (key, value) in values { kept.setMember(key, value) }
        extensions.setMember(namespace, kept)
        tree.setMember("extensions", extensions)
        return true
    }

    /// The typed person, moved out, when every identifier is whole; the draft is left without its typed fields.
    mutating func takePerson() -> Person? where Fields == CivilPersonFields {
        guard let whole = fields?.wholeIdentifiers() else { return nil }
        fields?.held.person.identifiers = whole
        // The fields taken whole and their tuple split into constants: a move (see `CivilPersonFields.held`);
        // a variable bound to the person, to set its identifiers after, was a copy again.
        guard let taken = fields.take() else { return nil }
        let (person, _) = taken.held
        return person
    }

}

extension CivilDraft where Fields == CivilPersonFields {
    /// The person's canonical sex as read so far; empty when none was.
    var sex: String {
        // Through the optional rather than `map`, which would copy the whole typed person.
        fields != nil ? fields?.held.person.sex ?? "" : tree.member("sex")?.scalarText ?? ""
    }
}

/// A canonical field the typed drafts hold, resolved once from a rule's `FieldPath`.
enum CivilFieldTarget: Sendable, Equatable {
    case ref, id, sex, birthDate, deathDate
    case name(PersonNamePart)
    case birthPlace(PlacePart)
    /// `nationalities[n]`.
    case nationality(Int)
    case nationalities
    case identifiers
    /// A part of one identifier, in the `fields` of an `identifiers` rule's `each`.
    case identifierScheme, identifierValue, identifierIssuer
    case eventType, eventDate
    case eventPlace(PlacePart)
    case registrationNumber, registrationDate, registrationAuthority

    enum PersonNamePart: Sendable { case given, family, middle }

    enum PlacePart: Sendable { case text, country, adminCode }

    /// The typed field a rule's target names, or nil for a field only the trees hold.
    init?(_ target: CivilFieldRule.Target) {
        switch target {
        case .person(let path): self.init(person: path.segments)
        case .event(let path): self.init(event: path.segments)
        case .none: return nil
        }
    }

    private init?(person segments: [FieldPath.Segment]) {
        guard case .key(let key)? = segments.first else { return nil }
        switch (key, segments.count) {
        case ("ref", 1): self = .ref
        case ("id", 1): self = .id
        case ("sex", 1): self = .sex
        case ("birthDate", 1): self = .birthDate
        case ("deathDate", 1): self = .deathDate
        case ("nationalities", 1): self = .nationalities
        case ("identifiers", 1): self = .identifiers
        case ("scheme", 1): self = .identifierScheme
        case ("value", 1): self = .identifierValue
        case ("issuer", 1): self = .identifierIssuer
        case ("name", 2):
            switch segments[1] {
            case .key("given"): self = .name(.given)
            case .key("family"): self = .name(.family)
            case .key("middle"): self = .name(.middle)
            default: return nil
            }
        case ("birthPlace", 2):
            guard let part = Self.placePart(segments[1]) else { return nil }
            self = .birthPlace(part)
        case ("nationalities", 2):
            guard case .index(let index) = segments[1] else { return nil }
            self = .nationality(index)
        default: return nil
        }
    }

    private init?(event segments: [FieldPath.Segment]) {
        guard case .key(let key)? = segments.first else { return nil }
        switch (key, segments.count) {
        case ("type", 1): self = .eventType
        case ("date", 1): self = .eventDate
        case ("place", 2):
            guard let part = Self.placePart(segments[1]) else { return nil }
            self = .eventPlace(part)
        case ("registration", 2):
            switch segments[1] {
            case .key("number"): self = .registrationNumber
            case .key("date"): self = .registrationDate
            case .key("authority"): self = .registrationAuthority
            default: return nil
            }
        default: return nil
        }
    }

    private static func placePart(_ segment: FieldPath.Segment) -> PlacePart? {
        switch segment {
        case .key("text"): .text
        case .key("country"): .country
        case .key("adminCode"): .adminCode
        default: nil
        }
    }

    static func set(_ part: PersonNamePart, _ text: String, in name: inout PersonName?) {
        // In place through the optional: taking the name out and putting it back copied it. Matched as a
        // pattern: `name == nil` took Equatable's `==`, which copied the name into a tuple to compare it.
        if case .none = name { name = PersonName() }
        switch part {
        case .given: name?.given = text
        case .family: name?.family = text
        case .middle: name?.middle = text
        }
    }

    static func set(_ part: PlacePart, _ text: String, in place: inout Place?) {
        if case .none = place { place = Place() }
        switch part {
        case .text: place?.text = text
        case .country: place?.country = text
        case .adminCode: place?.adminCode = text
        }
    }
}

/// The typed side of a `CivilDraft`: `set` takes a write that a tree would take in the same way and that
/// `CivilPersonJSON` would read the same way, or returns false.
protocol CivilDraftFields {
    init()
    var isEmpty: Bool { get }
    mutating func set(_ target: CivilFieldTarget, _ value: CivilValue) -> Bool
    mutating func keep(_ values: [(String, JSONValue)], in namespace: String) -> Bool
}

/// The person fields civil-registration dialects fill.
struct CivilPersonFields: CivilDraftFields {
    /// The person, and the identifiers as read (whole or not: a `Person` needs both scheme and value).
    ///
    /// One tuple rather than two properties, so that `CivilDraft.takePerson` moves the person out: the optimizer
    /// splits a tuple taken whole into its parts, where projecting one property out of the fields copied the
    /// person (a retain for each of its references) and then destroyed the fields' copy of it.
    var held = (person: Self.emptyPerson, identifiers: [(scheme: String?, value: String?, issuer: String?)]())
    var isEmpty = true

    mutating func set(_ target: CivilFieldTarget, _ value: CivilValue) -> Bool {
        switch (target, value) {
        case (.ref, .text(let text)): held.person.ref = text
        case (.id, .text(let text)): held.person.id = text
        case (.sex, .text(let text)): held.person.sex = text
        case (.birthDate, .date(let date)): held.person.birthDate = date
        case (.deathDate, .date(let date)): held.person.deathDate = date
        case (.name(let part), .text(let text)):
            CivilFieldTarget.set(part, text, in: &held.person.name)
        case (.birthPlace(let part), .text(let text)):
            CivilFieldTarget.set(part, text, in: &held.person.birthPlace)
        case (.nationality(let index), .text(let text)):
            guard index <= held.person.nationalities.count else { return false }
            if index == held.person.nationalities.count {
                held.person.nationalities.append(text)
            } else {
                held.person.nationalities[index] = text
            }
        case (.nationalities, .tree(.array(let items))):
            var texts: [String] = []
            for item in items {
                guard case .string(let text) = item else { return false }
                texts.append(text)
            }
            held.person.nationalities = texts
        case (.identifiers, .items(let items)):
            held.identifiers = items.map { (scheme: $0.scheme, value: $0.value, issuer: $0.issuer) }
        case (.identifiers, .tree(.array(let items))):
            var read: [(scheme: String?, value: String?, issuer: String?)] = []
            for item in items {
                guard case .object(let object) = item else { return false }
                var parts: [String?] = [nil, nil, nil]
                for (name, member) in object {
                    guard let position = ["scheme", "value", "issuer"].firstIndex(of: name),
                        case .string(let text) = member
                    else { return false }
                    parts[position] = text
                }
                read.append((parts[0], parts[1], parts[2]))
            }
            held.identifiers = read
        default:
            return false
        }
        isEmpty = false
        return true
    }

    /// Every draft starts from a copy of this one: `Person()` evaluates its twenty-seven default arguments
    /// one call each, which showed in profiles at two persons a record.
    private static let emptyPerson = Person()

    mutating func keep(_ values: [(String, JSONValue)], in namespace: String) -> Bool {
        var kept = held.person.extensions[namespace] ?? [:]
        for (key, value) in values { kept[key] = value }
        held.person.extensions[namespace] = kept
        isEmpty = false
        return true
    }

    /// The identifiers read, when every one has its scheme and value; else nil, for the trees to report.
    func wholeIdentifiers() -> [Identifier]? {
        var whole: [Identifier] = []
        for identifier in held.identifiers {
            guard let scheme = identifier.scheme, let value = identifier.value else { return nil }
            whole.append(Identifier(scheme: scheme, value: value, issuer: identifier.issuer))
        }
        return whole
    }
}

/// The civil event fields of a record that dialects fill.
struct CivilEventFields: CivilDraftFields {
    var type: String?
    var date: PartialDate?
    var place: Place?
    var registration: CivilRegistration?
    var isEmpty = true

    mutating func set(_ target: CivilFieldTarget, _ value: CivilValue) -> Bool {
        switch (target, value) {
        case (.eventType, .text(let text)): type = text
        case (.eventDate, .date(let parsed)): date = parsed
        case (.eventPlace(let part), .text(let text)): CivilFieldTarget.set(part, text, in: &place)
        case (.registrationNumber, .text(let text)):
            if case .none = registration { registration = CivilRegistration() }
            registration?.number = text
        case (.registrationAuthority, .text(let text)):
            if case .none = registration { registration = CivilRegistration() }
            registration?.authority = text
        case (.registrationDate, .date(let parsed)):
            if case .none = registration { registration = CivilRegistration() }
            registration?.date = parsed
        default:
            return false
        }
        isEmpty = false
        return true
    }

    mutating func keep(_ values: [(String, JSONValue)], in namespace: String) -> Bool {
        false
    }
}

/// A list item's fields: an identifier's scheme, value and issuer.
struct CivilItemFields: CivilDraftFields {
    var scheme: String?
    var value: String?
    var issuer: String?
    var isEmpty = true

    mutating func set(_ target: CivilFieldTarget, _ value: CivilValue) -> Bool {
        switch (target, value) {
        case (.identifierScheme, .text(let text)): scheme = text
        case (.identifierValue, .text(let text)): self.value = text
        case (.identifierIssuer, .text(let text)): issuer = text
        default: return false
        }
        isEmpty = false
        return true
    }

    mutating func keep(_ values: [(String, JSONValue)], in namespace: String) -> Bool { false }

    /// The item as the trees hold it.
    var tree: JSONValue {
        var object: [String: JSONValue] = [:]
        if let scheme { object["scheme"] = .string(scheme) }
        if let value { object["value"] = .string(value) }
        if let issuer { object["issuer"] = .string(issuer) }
        return .object(object)
    }
}
