import PrimesModel

/// The value of a canonical field of a person as the ingestion encoder reads it: what the field's path finds
/// in the person's JSON form, or, for a date read straight from the person, the date itself.
enum PINGGivenValue {
    case json(JSONValue)
    case date(PartialDate)

    /// The value of `field` in `person`, as its path would find it in the JSON form; nil when absent.
    ///
    /// WHY: `person` is borrowed; an initializer otherwise takes its arguments owned, which copied the whole
    /// person for every field written.
    init?(_ field: PINGPersonField, of person: borrowing Person) {
        let found: PINGGivenValue? =
            switch field {
            case .id: Self.text(person.id)
            case .ref: Self.text(person.ref)
            case .sex: Self.text(person.sex)
            case .maritalStatus: Self.text(person.maritalStatus)
            case .countryOfOrigin: Self.text(person.countryOfOrigin)
            case .populationType: Self.text(person.populationType)
            case .updatedAt: Self.text(person.updatedAt)
            case .birthDate: person.birthDate.map(Self.date)
            case .deathDate: person.deathDate.map(Self.date)
            case .registrationDate: person.registrationDate.map(Self.date)
            case .arrivalDate: person.arrivalDate.map(Self.date)
            case .nameGiven: Self.text(person.name?.given)
            case .nameMiddle: Self.text(person.name?.middle)
            case .nameFamily: Self.text(person.name?.family)
            case .nameCommonlyUsed: Self.text(person.name?.commonlyUsed)
            case .nameBirthName: Self.text(person.name?.birthName)
            case .nameScript: Self.text(person.name?.script)
            case .groupId: Self.text(person.group?.id)
            case .groupRelationshipToFocalPoint: Self.text(person.group?.relationshipToFocalPoint)
            // `contacts[kind=K]` is the first contact of that kind, whether or not it has the part asked for.
            case .contactValue(let kind): Self.text(person.contacts.first { $0.kind == kind }?.value)
            case .contactPrimary(let kind):
                person.contacts.first { $0.kind == kind }?.primary.map { .json(.bool($0)) }
            }
        guard let found else { return nil }
        self = found
    }

    private static func text(_ text: String?) -> PINGGivenValue? {
        text.map { .json(.string($0)) }
    }

    /// The value as text when it is a string, a number or a boolean (a date is an object in the JSON form).
    var scalarText: String? {
        switch self {
        case .json(let value): value.scalarText
        case .date: nil
        }
    }

    /// The value as a partial date, nil when it is not one.
    var partialDate: PartialDate? {
        switch self {
        case .json(let value): try? value.decode(as: PartialDate.self)
        case .date(let date): date
        }
    }
}

/// Whether a person's JSON form is sure to be made and read back by the ingestion encoder.
///
/// The encoder used to make the JSON form of every person and reject the record (`record: cannot be encoded`)
/// when that failed: a number in the extensions that is not finite, a value nested past the parser's depth, a
/// text past its length. A person that passes this check cannot fail that way, so its form can be skipped;
/// any other goes the old way and is rejected as before. The bounds are well inside the parser's.
enum PINGEncodingCheck {
    private static let longestText = 1024 * 1024
    private static let deepestExtension = 32

    static func encodesPlainly(_ person: Person) -> Bool {
        // WHY: the texts are checked where they are, without gathering them into an array first, which cost
        // more than the check.
        func fits(_ text: String?) -> Bool { (text?.utf8.count ?? 0) <= longestText }
        func fits(_ name: PersonName) -> Bool {
            fits(name.given) && fits(name.middle) && fits(name.family) && fits(name.commonlyUsed)
                && fits(name.birthName) && fits(name.script) && name.aliases.allSatisfy(fits)
        }
        guard fits(person.id), fits(person.ref), fits(person.sex), fits(person.countryOfOrigin),
            fits(person.maritalStatus), fits(person.populationType), fits(person.updatedAt), fits(person.group?.id),
            fits(person.group?.relationshipToFocalPoint), fits(person.location?.address),
            person.nationalities.allSatisfy(fits), person.specificNeeds.allSatisfy(fits),
            person.name.map(fits) ?? true, person.otherNames.allSatisfy(fits),
            person.identifiers.allSatisfy({ fits($0.scheme) && fits($0.value) && fits($0.issuer) }),
            fits(person.birthPlace?.text), fits(person.birthPlace?.country), fits(person.birthPlace?.adminCode),
            person.languages.allSatisfy({
                fits($0.code) && fits($0.read) && fits($0.write) && fits($0.speak) && fits($0.understand)
            }),
            person.contacts.allSatisfy({ fits($0.kind) && fits($0.value) }),
            (person.location?.levels ?? []).allSatisfy({ fits($0.code) && fits($0.name) }),
            person.relationships.allSatisfy({ fits($0.type) && fits($0.ref) }),
            person.events.allSatisfy({ event in
                fits(event.type) && fits(event.role) && fits(event.place?.text) && fits(event.place?.country)
                    && fits(event.place?.adminCode) && fits(event.registration?.number)
                    && fits(event.registration?.authority)
            }),
            fits(person.consent?.status), (person.consent?.purposes ?? []).allSatisfy(fits),
            person.provenance.map({
                fits($0.system) && fits($0.recordId) && fits($0.format) && fits($0.formatVersion)
                    && fits($0.receivedAt)
            }) ?? true
        else { return false }
        for (namespace, fields) in person.extensions {
            guard namespace.utf8.count <= longestText else { return false }
            for (key, value) in fields {
                guard key.utf8.count <= longestText, plain(value, depth: 0) else { return false }
            }
        }
        return true
    }

    private static func plain(_ value: JSONValue, depth: Int) -> Bool {
        guard depth < deepestExtension else { return false }
        switch value {
        case .null, .bool: return true
        case .number(let number): return number.isFinite
        case .string(let text): return text.utf8.count <= longestText
        case .array(let items): return items.allSatisfy { plain($0, depth: depth + 1) }
        case .object(let members):
            return members.allSatisfy { $0.key.utf8.count <= longestText && plain($0.value, depth: depth + 1) }
        }
    }
}
