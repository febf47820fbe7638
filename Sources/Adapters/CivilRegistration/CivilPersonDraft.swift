import PrimesModel

/// A person (or a record's civil event) as the rules fill it: typed fields for the canonical fields that
/// dialects fill, set directly, with the rules' writes logged; the first write that the typed fields do not
/// take (another canonical field, an odd shape) replays the log into the `JSONValue` tree that
/// `CivilPersonJSON` decodes, and the draft goes on as that tree, so that every field stays reachable from a
/// mapping file and every failure reads as before.
struct CivilDraft<Fields: CivilDraftFields> {
    private(set) var fields: Fields? = Fields()
    private(set) var tree = JSONValue.object([:])
    private var log: [Write] = []

    private enum Write {
        case set(FieldPath, JSONValue)
        case extensions(String, [(String, JSONValue)])
    }

    /// Whether no write has been made.
    var isEmpty: Bool {
        if let fields { return fields.isEmpty }
        if case .object(let object) = tree { return object.isEmpty }
        return false
    }

    mutating func set(_ path: FieldPath, _ value: JSONValue) throws(FieldPathError) {
        if fields != nil {
            // Through the optional in place: a copy of the typed person on every write showed in profiles.
            if fields?.set(path.segments, value) == true {
                log.append(.set(path, value))
                return
            }
            makeTree()
        }
        try path.set(value, in: &tree)
    }

    /// Adds values kept from the source under `namespace` of the person's extensions.
    mutating func keep(_ values: [(String, JSONValue)], in namespace: String) {
        if fields != nil {
            if fields?.keep(values, in: namespace) == true {
                log.append(.extensions(namespace, values))
                return
            }
            makeTree()
        }
        Self.keep(values, in: namespace, tree: &tree)
    }

    /// Turns the draft into its tree for good (a no-op once it is one).
    mutating func makeTree() {
        guard fields != nil || !log.isEmpty else { return }
        fields = nil
        var rebuilt = JSONValue.object([:])
        for write in log {
            switch write {
            case .set(let path, let value): try? path.set(value, in: &rebuilt)
            case .extensions(let namespace, let values): Self.keep(values, in: namespace, tree: &rebuilt)
            }
        }
        log = []
        tree = rebuilt
    }

    private static func keep(_ values: [(String, JSONValue)], in namespace: String, tree: inout JSONValue) {
        var extensions = tree.member("extensions") ?? .object([:])
        var kept = extensions.member(namespace) ?? .object([:])
        for (key, value) in values { kept.setMember(key, value) }
        extensions.setMember(namespace, kept)
        tree.setMember("extensions", extensions)
    }
}

/// The typed side of a `CivilDraft`: `set` takes a write that the tree would take in the same way, or
/// returns false and changes nothing.
protocol CivilDraftFields {
    init()
    var isEmpty: Bool { get }
    mutating func set(_ segments: [FieldPath.Segment], _ value: JSONValue) -> Bool
    mutating func keep(_ values: [(String, JSONValue)], in namespace: String) -> Bool
}

/// The person fields civil-registration dialects fill.
struct CivilPersonFields: CivilDraftFields {
    var person = Person()
    /// Identifiers as read, complete or not: a `Person` needs both scheme and value.
    var identifiers: [(scheme: String?, value: String?, issuer: String?)] = []
    var isEmpty = true

    mutating func set(_ segments: [FieldPath.Segment], _ value: JSONValue) -> Bool {
        guard case .key(let key)? = segments.first else { return false }
        let done: Bool
        switch (key, segments.count) {
        case ("ref", 1): done = text(value).map { person.ref = $0 } != nil
        case ("id", 1): done = text(value).map { person.id = $0 } != nil
        case ("sex", 1): done = text(value).map { person.sex = $0 } != nil
        case ("birthDate", 1): done = CivilEventFields.date(value).map { person.birthDate = $0 } != nil
        case ("deathDate", 1): done = CivilEventFields.date(value).map { person.deathDate = $0 } != nil
        case ("name", 2):
            guard case .key(let part) = segments[1], let text = text(value) else { return false }
            var name = person.name ?? PersonName()
            switch part {
            case "given": name.given = text
            case "family": name.family = text
            case "middle": name.middle = text
            default: return false
            }
            person.name = name
            done = true
        case ("birthPlace", 2):
            guard case .key(let part) = segments[1], let text = text(value) else { return false }
            var place = person.birthPlace ?? Place()
            guard CivilEventFields.set(part, text, in: &place) else { return false }
            person.birthPlace = place
            done = true
        case ("nationalities", 2):
            guard case .index(let index) = segments[1], index <= person.nationalities.count, let text = text(value)
            else { return false }
            if index == person.nationalities.count {
                person.nationalities.append(text)
            } else {
                person.nationalities[index] = text
            }
            done = true
        case ("nationalities", 1):
            guard case .array(let items) = value else { return false }
            let texts = items.compactMap(text)
            guard texts.count == items.count else { return false }
            person.nationalities = texts
            done = true
        case ("identifiers", 1):
            guard case .array(let items) = value else { return false }
            var read: [(String?, String?, String?)] = []
            for item in items {
                guard case .object(let object) = item, object.count <= 3 else { return false }
                var parts: [String?] = [nil, nil, nil]
                for (name, member) in object {
                    guard let position = ["scheme", "value", "issuer"].firstIndex(of: name), let text = text(member)
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

    /// The person, when every identifier has its scheme and value; else nil, for the tree to report.
    var complete: Person? {
        var complete = person
        complete.identifiers = []
        for identifier in identifiers {
            guard let scheme = identifier.scheme, let value = identifier.value else { return nil }
            complete.identifiers.append(Identifier(scheme: scheme, value: value, issuer: identifier.issuer))
        }
        return complete
    }

    private func text(_ value: JSONValue) -> String? {
        if case .string(let text) = value { return text }
        return nil
    }
}

/// The civil event fields of a record that dialects fill.
struct CivilEventFields: CivilDraftFields {
    var type: String?
    var date: PartialDate?
    var place: Place?
    var registration: CivilRegistration?
    var isEmpty = true

    mutating func set(_ segments: [FieldPath.Segment], _ value: JSONValue) -> Bool {
        guard case .key(let key)? = segments.first else { return false }
        let part: String?
        if segments.count == 2, case .key(let second) = segments[1] { part = second } else { part = nil }
        var done = false
        switch (key, segments.count) {
        case ("type", 1):
            if case .string(let text) = value {
                type = text
                done = true
            }
        case ("date", 1):
            if let parsed = Self.date(value) {
                date = parsed
                done = true
            }
        case ("place", 2):
            if let part, case .string(let text) = value {
                var changed = place ?? Place()
                if Self.set(part, text, in: &changed) {
                    place = changed
                    done = true
                }
            }
        case ("registration", 2):
            var changed = registration ?? CivilRegistration()
            switch (part, value) {
            case ("number", .string(let text)): changed.number = text
            case ("authority", .string(let text)): changed.authority = text
            case ("date", _):
                guard let parsed = Self.date(value) else { return false }
                changed.date = parsed
            default: return false
            }
            registration = changed
            done = true
        default:
            done = false
        }
        if done { isEmpty = false }
        return done
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

    private static let dateKeys: Set<String> = ["value", "precision", "estimated"]

    /// A date in the tree form the rules write (`CivilRecordAssembler.tree(_:)`), as `CivilPersonJSON` reads it.
    static func date(_ value: JSONValue) -> PartialDate? {
        guard case .object(let object) = value, object.keys.allSatisfy(dateKeys.contains),
            case .string(let text)? = object["value"]
        else { return nil }
        var estimated = false
        switch object["estimated"] {
        case nil: break
        case .bool(let flag)?: estimated = flag
        default: return nil
        }
        guard let date = try? PartialDate(iso: text, estimated: estimated) else { return nil }
        if let precision = object["precision"] {
            guard case .string(let name) = precision, name == date.precision.rawValue else { return nil }
        }
        return date
    }
}

/// A list item's fields (an identifier's scheme and value): always a tree, as they always were.
struct CivilItemFields: CivilDraftFields {
    var isEmpty: Bool { true }

    mutating func set(_ segments: [FieldPath.Segment], _ value: JSONValue) -> Bool { false }

    mutating func keep(_ values: [(String, JSONValue)], in namespace: String) -> Bool { false }
}
