import PrimesModel

/// A value a rule read: a text, a date, or (for a repeating element) a tree of items.
enum CivilValue {
    case text(String)
    case date(PartialDate)
    case tree(JSONValue)

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
        }
    }

    var scalarText: String? {
        switch self {
        case .text(let text): text
        case .date: nil
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

    /// Whether no write has been made.
    var isEmpty: Bool {
        if let fields { return fields.isEmpty }
        if case .object(let object) = tree { return object.isEmpty }
        return false
    }

    /// Sets the field at `path`; false when typed and the typed fields do not take this write.
    mutating func set(_ path: FieldPath, _ value: CivilValue) throws(FieldPathError) -> Bool {
        if fields != nil {
            // Through the optional in place: copying the typed person on every write showed in profiles.
            return fields?.set(path.segments, value) == true
        }
        try path.set(value.json, in: &tree)
        return true
    }

    /// The typed person, moved out, when every identifier is whole; the draft is left empty.
    mutating func takePerson() -> Person? where Fields == CivilPersonFields {
        fields?.takePerson()
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
}

/// The typed side of a `CivilDraft`: `set` takes a write that a tree would take in the same way and that
/// `CivilPersonJSON` would read the same way, or returns false.
protocol CivilDraftFields {
    init()
    var isEmpty: Bool { get }
    mutating func set(_ segments: [FieldPath.Segment], _ value: CivilValue) -> Bool
    mutating func keep(_ values: [(String, JSONValue)], in namespace: String) -> Bool
}

/// The person fields civil-registration dialects fill.
struct CivilPersonFields: CivilDraftFields {
    var person = Person()
    /// Identifiers as read, whole or not: a `Person` needs both scheme and value.
    var identifiers: [(scheme: String?, value: String?, issuer: String?)] = []
    var isEmpty = true

    mutating func set(_ segments: [FieldPath.Segment], _ value: CivilValue) -> Bool {
        guard case .key(let key)? = segments.first else { return false }
        let done: Bool
        switch (key, segments.count, value) {
        case ("ref", 1, .text(let text)):
            person.ref = text
            done = true
        case ("id", 1, .text(let text)):
            person.id = text
            done = true
        case ("sex", 1, .text(let text)):
            person.sex = text
            done = true
        case ("birthDate", 1, .date(let date)):
            person.birthDate = date
            done = true
        case ("deathDate", 1, .date(let date)):
            person.deathDate = date
            done = true
        case ("name", 2, .text(let text)):
            guard case .key(let part) = segments[1] else { return false }
            var name = person.name ?? PersonName()
            switch part {
            case "given": name.given = text
            case "family": name.family = text
            case "middle": name.middle = text
            default: return false
            }
            person.name = name
            done = true
        case ("birthPlace", 2, .text(let text)):
            guard case .key(let part) = segments[1] else { return false }
            var place = person.birthPlace ?? Place()
            guard CivilEventFields.set(part, text, in: &place) else { return false }
            person.birthPlace = place
            done = true
        case ("nationalities", 2, .text(let text)):
            guard case .index(let index) = segments[1], index <= person.nationalities.count else { return false }
            if index == person.nationalities.count {
                person.nationalities.append(text)
            } else {
                person.nationalities[index] = text
            }
            done = true
        case ("nationalities", 1, .tree(.array(let items))):
            var texts: [String] = []
            for item in items {
                guard case .string(let text) = item else { return false }
                texts.append(text)
            }
            person.nationalities = texts
            done = true
        case ("identifiers", 1, .tree(.array(let items))):
            var read: [(String?, String?, String?)] = []
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
            identifiers = read
            done = true
        default:
            done = false
        }
        if done { isEmpty = false }
        return done
    }

    mutating func keep(_ values: [(String, JSONValue)], in namespace: String) -> Bool {
        var kept = person.extensions[namespace] ?? [:]
        for (key, value) in values { kept[key] = value }
        person.extensions[namespace] = kept
        isEmpty = false
        return true
    }

    /// The person, moved out, when every identifier has its scheme and value; else nil, for the trees to
    /// report.
    mutating func takePerson() -> Person? {
        var whole: [Identifier] = []
        for identifier in identifiers {
            guard let scheme = identifier.scheme, let value = identifier.value else { return nil }
            whole.append(Identifier(scheme: scheme, value: value, issuer: identifier.issuer))
        }
        var taken = Person()
        swap(&taken, &person)
        taken.identifiers = whole
        return taken
    }
}

/// The civil event fields of a record that dialects fill.
struct CivilEventFields: CivilDraftFields {
    var type: String?
    var date: PartialDate?
    var place: Place?
    var registration: CivilRegistration?
    var isEmpty = true

    mutating func set(_ segments: [FieldPath.Segment], _ value: CivilValue) -> Bool {
        guard case .key(let key)? = segments.first else { return false }
        var part: String?
        if segments.count == 2, case .key(let second) = segments[1] { part = second }
        switch (key, segments.count, value) {
        case ("type", 1, .text(let text)):
            type = text
        case ("date", 1, .date(let parsed)):
            date = parsed
        case ("place", 2, .text(let text)):
            var changed = place ?? Place()
            guard let part, Self.set(part, text, in: &changed) else { return false }
            place = changed
        case ("registration", 2, _):
            var changed = registration ?? CivilRegistration()
            switch (part, value) {
            case ("number", .text(let text)): changed.number = text
            case ("authority", .text(let text)): changed.authority = text
            case ("date", .date(let parsed)): changed.date = parsed
            default: return false
            }
            registration = changed
        default:
            return false
        }
        isEmpty = false
        return true
    }

    mutating func keep(_ values: [(String, JSONValue)], in namespace: String) -> Bool {
        false
    }

    static func set(_ part: String, _ text: String, in place: inout Place) -> Bool {
        switch part {
        case "text": place.text = text
        case "country": place.country = text
        case "adminCode": place.adminCode = text
        default: return false
        }
        return true
    }
}

/// A list item's fields (an identifier's scheme and value): always a tree.
struct CivilItemFields: CivilDraftFields {
    var isEmpty: Bool { true }

    mutating func set(_ segments: [FieldPath.Segment], _ value: CivilValue) -> Bool { false }

    mutating func keep(_ values: [(String, JSONValue)], in namespace: String) -> Bool { false }
}
