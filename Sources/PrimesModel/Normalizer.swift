/// Puts a canonical record into its normal form: text trimmed, empty text removed, codes in their list's case.
///
/// Normalising never changes what a record says, only how: `" afg "` becomes `AFG`, `"Dinka "` becomes
/// `Dinka`, an empty middle name disappears. Duplicated list entries are removed, keeping the first.
public enum Normalizer {
    public static func normalized(_ record: CanonicalRecord) -> CanonicalRecord {
        switch record {
        case .person(let person): .person(normalized(person))
        case .group(let group): .group(normalized(group))
        }
    }

    public static func normalized(_ person: Person) -> Person {
        var person = person
        person.id = person.id.trimmedOrNil
        person.ref = person.ref.trimmedOrNil
        person.identifiers = person.identifiers.map(normalized).uniqued()
        person.name = person.name.map(normalized)
        person.otherNames = person.otherNames.map(normalized)
        person.sex = person.sex.trimmedOrNil
        person.birthPlace = person.birthPlace.map(normalized)
        person.nationalities = person.nationalities.map(countryOrState).uniqued()
        person.countryOfOrigin = person.countryOfOrigin.trimmedOrNil?.uppercased()
        person.languages = person.languages.map { language in
            var language = language
            language.code = language.code.trimmed.lowercased()
            return language
        }
        person.maritalStatus = person.maritalStatus.trimmedOrNil
        person.populationType = person.populationType.trimmedOrNil?.uppercased()
        person.specificNeeds = person.specificNeeds.map { $0.trimmed.uppercased() }.uniqued()
        person.contacts = person.contacts.map { contact in
            var contact = contact
            contact.value = contact.value.trimmed
            return contact
        }
        person.location = person.location.map(normalized)
        person.events = person.events.map { event in
            var event = event
            event.place = event.place.map(normalized)
            return event
        }
        return person
    }

    public static func normalized(_ group: RegistrationGroup) -> RegistrationGroup {
        var group = group
        group.id = group.id.trimmed
        group.identifiers = group.identifiers.map(normalized).uniqued()
        group.name = group.name.trimmedOrNil
        group.location = group.location.map(normalized)
        group.registrationSource = group.registrationSource.trimmedOrNil
        return group
    }

    private static func normalized(_ identifier: Identifier) -> Identifier {
        Identifier(
            scheme: identifier.scheme.trimmed, value: identifier.value.trimmed, issuer: identifier.issuer.trimmedOrNil)
    }

    private static func normalized(_ name: PersonName) -> PersonName {
        PersonName(
            given: name.given.trimmedOrNil,
            middle: name.middle.trimmedOrNil,
            family: name.family.trimmedOrNil,
            commonlyUsed: name.commonlyUsed.trimmedOrNil,
            birthName: name.birthName.trimmedOrNil,
            aliases: name.aliases.map(\.trimmed).filter { !$0.isEmpty },
            script: name.script.trimmedOrNil
        )
    }

    private static func normalized(_ place: Place) -> Place {
        Place(
            text: place.text.trimmedOrNil, country: place.country.trimmedOrNil?.uppercased(),
            adminCode: place.adminCode.trimmedOrNil)
    }

    private static func normalized(_ location: Location) -> Location {
        Location(
            levels: location.levels.map {
                AdminLevel(level: $0.level, code: $0.code.trimmedOrNil, name: $0.name.trimmedOrNil)
            },
            address: location.address.trimmedOrNil
        )
    }

    /// Countries are upper-case alpha-3; the explicit states `stateless` and `unknown` stay lower-case.
    private static func countryOrState(_ value: String) -> String {
        let trimmed = value.trimmed
        let lowered = trimmed.lowercased()
        return lowered == "stateless" || lowered == "unknown" ? lowered : trimmed.uppercased()
    }
}

extension String {
    var trimmed: String {
        // Most text has nothing to trim: an ASCII letter or digit at both ends settles it without Unicode work.
        if let first = utf8.first, let last = utf8.last, first > 0x20 && first < 0x80, last > 0x20 && last < 0x80 {
            return self
        }
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}

extension Optional where Wrapped == String {
    var trimmedOrNil: String? {
        guard let text = self?.trimmed, !text.isEmpty else { return nil }
        return text
    }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
