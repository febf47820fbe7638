import PrimesModel

/// Reads one canonical NDJSON line into a record in a single pass, with the same rules as the model's
/// `Decodable` conformance: unknown keys are errors, absent lists are empty, null means absent, and every
/// error names its field. `CanonicalReader` uses it because `JSONDecoder` spends most of a conversion's time.
/// A test decodes every fixture both ways and compares.
public enum CanonicalJSONDecoding {
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(JSONScanError) -> CanonicalRecord {
        // A record whose type a glance finds is read in one pass; one that reads without an error is valid JSON
        // of that type, the same record the two passes below give. Any error sends it through them, so that
        // each error is the one they report.
        if let type = glanceAtRecordType(bytes) {
            var scanner = JSONScanner(bytes)
            do throws(JSONScanError) {
                let record: CanonicalRecord =
                    switch type {
                    case .person: .person(try readPerson(&scanner))
                    case .group: .group(try readGroup(&scanner))
                    }
                try scanner.expectEnd()
                return record
            } catch {}
        }

        // The writer sorts keys, so `recordType` comes in the middle: a first pass finds it.
        var scanner = JSONScanner(bytes)
        var recordType: RecordType?
        try scanner.readObject { (scanner: inout JSONScanner, key) throws(JSONScanError) in
            guard key == "recordType" else { return try scanner.skipValue() }
            guard let type = RecordType(rawValue: try scanner.readString()) else {
                throw scanner.error("must be person or group")
            }
            recordType = type
        }
        try scanner.expectEnd()

        var second = JSONScanner(bytes)
        switch recordType {
        case .person?: return .person(try readPerson(&second))
        case .group?: return .group(try readGroup(&second))
        case nil: throw JSONScanError(field: "recordType", rule: "required field is missing")
        }
    }

    /// The value of the one top-level `"recordType"` key when it is plainly `"person"` or `"group"`, found by
    /// looking at bytes only: nil when the key is absent, repeated, or anything looks unusual.
    private static func glanceAtRecordType(_ bytes: UnsafeRawBufferPointer) -> RecordType? {
        var found: RecordType?
        var occurrences = 0
        var depth = 0
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                let start = index + 1
                index = start
                while index < count && bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                guard index < count else { return nil }
                if depth == 1 && index - start == 10 && Self.matches(bytes, at: start, "recordType") {
                    occurrences += 1
                    var cursor = index + 1
                    while cursor < count && (bytes[cursor] == 0x20 || bytes[cursor] == 0x09) { cursor += 1 }
                    guard cursor < count, bytes[cursor] == UInt8(ascii: ":") else { return nil }
                    cursor += 1
                    while cursor < count && (bytes[cursor] == 0x20 || bytes[cursor] == 0x09) { cursor += 1 }
                    if Self.matches(bytes, at: cursor, "\"person\"") {
                        found = .person
                    } else if Self.matches(bytes, at: cursor, "\"group\"") {
                        found = .group
                    } else {
                        return nil
                    }
                }
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
            index += 1
        }
        return occurrences == 1 ? found : nil
    }

    private static func matches(_ bytes: UnsafeRawBufferPointer, at start: Int, _ literal: StaticString) -> Bool {
        let length = literal.utf8CodeUnitCount
        guard bytes.count - start >= length else { return false }
        for offset in 0..<length where bytes[start + offset] != literal.utf8Start[offset] { return false }
        return true
    }

    private static func readPerson(_ scanner: inout JSONScanner) throws(JSONScanError) -> Person {
        var person = Person()
        try scanner.readObject { (scanner: inout JSONScanner, key) throws(JSONScanError) in
            if key == "recordType" { return try scanner.skipValue() }
            if scanner.skipNull() { return }
            switch key {
            case "id": person.id = try scanner.readString()
            case "ref": person.ref = try scanner.readString()
            case "identifiers": person.identifiers = try readList(&scanner, readIdentifier)
            case "name": person.name = try readName(&scanner)
            case "otherNames": person.otherNames = try readList(&scanner, readName)
            case "sex": person.sex = try scanner.readString()
            case "birthDate": person.birthDate = try readDate(&scanner)
            case "deathDate": person.deathDate = try readDate(&scanner)
            case "birthPlace": person.birthPlace = try readPlace(&scanner)
            case "nationalities": person.nationalities = try scanner.readStrings()
            case "countryOfOrigin": person.countryOfOrigin = try scanner.readString()
            case "languages": person.languages = try readList(&scanner, readLanguage)
            case "maritalStatus": person.maritalStatus = try scanner.readString()
            case "populationType": person.populationType = try scanner.readString()
            case "specificNeeds": person.specificNeeds = try scanner.readStrings()
            case "contacts": person.contacts = try readList(&scanner, readContact)
            case "location": person.location = try readLocation(&scanner)
            case "registrationDate": person.registrationDate = try readDate(&scanner)
            case "arrivalDate": person.arrivalDate = try readDate(&scanner)
            case "group": person.group = try readMembership(&scanner)
            case "relationships": person.relationships = try readList(&scanner, readRelationship)
            case "events": person.events = try readList(&scanner, readEvent)
            case "consent": person.consent = try readConsent(&scanner)
            case "provenance": person.provenance = try readProvenance(&scanner)
            case "extensions": person.extensions = try readExtensions(&scanner)
            case "updatedAt": person.updatedAt = try scanner.readString()
            case "version": person.version = try scanner.readInt()
            default: throw scanner.error("unknown field")
            }
        }
        return person
    }

    private static func readGroup(_ scanner: inout JSONScanner) throws(JSONScanError) -> RegistrationGroup {
        var group = RegistrationGroup(id: "")
        var hasId = false
        try scanner.readObject { (scanner: inout JSONScanner, key) throws(JSONScanError) in
            if key == "recordType" { return try scanner.skipValue() }
            if key != "id" && scanner.skipNull() { return }
            switch key {
            case "id": (group.id, hasId) = (try scanner.readString(), true)
            case "identifiers": group.identifiers = try readList(&scanner, readIdentifier)
            case "name": group.name = try scanner.readString()
            case "size": group.size = try scanner.readInt()
            case "location": group.location = try readLocation(&scanner)
            case "residenceStatus": group.residenceStatus = try scanner.readString()
            case "vulnerabilityRating": group.vulnerabilityRating = try scanner.readString()
            case "arrivalDate": group.arrivalDate = try readDate(&scanner)
            case "registrationSource": group.registrationSource = try scanner.readString()
            case "members": group.members = try readList(&scanner, readMember)
            case "provenance": group.provenance = try readProvenance(&scanner)
            case "extensions": group.extensions = try readExtensions(&scanner)
            case "updatedAt": group.updatedAt = try scanner.readString()
            case "version": group.version = try scanner.readInt()
            default: throw scanner.error("unknown field")
            }
        }
        if !hasId { throw JSONScanError(field: "id", rule: "required field is missing") }
        return group
    }

    // MARK: - Parts

    private static func readList<Element>(
        _ scanner: inout JSONScanner,
        _ element: (inout JSONScanner) throws(JSONScanError) -> Element
    ) throws(JSONScanError) -> [Element] {
        var list: [Element] = []
        try scanner.readArray { (scanner: inout JSONScanner, _) throws(JSONScanError) in
            list.append(try element(&scanner))
        }
        return list
    }

    private static func readDate(_ scanner: inout JSONScanner) throws(JSONScanError) -> PartialDate {
        var value: String?
        var precision: String?
        var estimated = false
        try scanner.readObject { (scanner: inout JSONScanner, key) throws(JSONScanError) in
            if scanner.skipNull() { return }
            switch key {
            case "value": value = try scanner.readString()
            case "precision": precision = try scanner.readString()
            case "estimated": estimated = try scanner.readBool()
            default: throw scanner.error("unknown field")
            }
        }
        guard let value else { throw scanner.error("value: required field is missing") }
        let date: PartialDate
        do {
            date = try PartialDate(iso: value, estimated: estimated)
        } catch {
            throw JSONScanError(field: scanner.fieldPath + ".value", rule: error.description)
        }
        if let precision, precision != date.precision.rawValue {
            let rule =
                PartialDate.Precision(rawValue: precision) == nil
                ? "must be year, month or day" : PartialDateError.precisionMismatch.description
            throw JSONScanError(field: scanner.fieldPath + ".precision", rule: rule)
        }
        return date
    }

    private static func readIdentifier(_ scanner: inout JSONScanner) throws(JSONScanError) -> Identifier {
        var identifier = Identifier(scheme: "", value: "")
        var seen = (scheme: false, value: false)
        try scanner.readObject { (scanner: inout JSONScanner, key) throws(JSONScanError) in
            switch key {
            case "scheme": (identifier.scheme, seen.scheme) = (try scanner.readString(), true)
            case "value": (identifier.value, seen.value) = (try scanner.readString(), true)
            case "issuer": if !scanner.skipNull() { identifier.issuer = try scanner.readString() }
            default: throw scanner.error("unknown field")
            }
        }
        if !seen.scheme { throw JSONScanError(field: scanner.fieldPath + ".scheme", rule: "required field is missing") }
        if !seen.value { throw JSONScanError(field: scanner.fieldPath + ".value", rule: "required field is missing") }
        return identifier
    }

    private static func readName(_ scanner: inout JSONScanner) throws(JSONScanError) -> PersonName {
        var name = PersonName()
        try scanner.readObject { (scanner: inout JSONScanner, key) throws(JSONScanError) in
            if scanner.skipNull() { return }
            switch key {
            case "given": name.given = try scanner.readString()
            case "middle": name.middle = try scanner.readString()
            case "family": name.family = try scanner.readString()
            case "commonlyUsed": name.commonlyUsed = try scanner.readString()
            case "birthName": name.birthName = try scanner.readString()
            case "aliases": name.aliases = try scanner.readStrings()
            case "script": name.script = try scanner.readString()
            default: throw scanner.error("unknown field")
            }
        }
        return name
    }

    private static func readPlace(_ scanner: inout JSONScanner) throws(JSONScanError) -> Place {
        var place = Place()
        try scanner.readObject { (scanner: inout JSONScanner, key) throws(JSONScanError) in
            if scanner.skipNull() { return }
            switch key {
            case "text": place.text = try scanner.readString()
            case "country": place.country = try scanner.readString()
            case "adminCode": place.adminCode = try scanner.readString()
            default: throw scanner.error("unknown field")
            }
        }
        return place
    }

    private static func readLanguage(_ scanner: inout JSONScanner) throws(JSONScanError) -> LanguageSkill {
        var language = LanguageSkill(code: "")
        var hasCode = false
        try scanner.readObject { (scanner: inout JSONScanner, key) throws(JSONScanError) in
            if key != "code" && scanner.skipNull() { return }
            switch key {
            case "code": (language.code, hasCode) = (try scanner.readString(), true)
            case "motherTongue": language.motherTongue = try scanner.readBool()
            case "read": language.read = try scanner.readString()
            case "write": language.write = try scanner.readString()
            case "speak": language.speak = try scanner.readString()
            case "understand": language.understand = try scanner.readString()
            default: throw scanner.error("unknown field")
            }
        }
        if !hasCode { throw JSONScanError(field: scanner.fieldPath + ".code", rule: "required field is missing") }
        return language
    }

    private static func readContact(_ scanner: inout JSONScanner) throws(JSONScanError) -> Contact {
        var contact = Contact(kind: "", value: "")
        var seen = (kind: false, value: false)
        try scanner.readObject { (scanner: inout JSONScanner, key) throws(JSONScanError) in
            switch key {
            case "kind": (contact.kind, seen.kind) = (try scanner.readString(), true)
            case "value": (contact.value, seen.value) = (try scanner.readString(), true)
            case "primary": if !scanner.skipNull() { contact.primary = try scanner.readBool() }
            default: throw scanner.error("unknown field")
            }
        }
        if !seen.kind { throw JSONScanError(field: scanner.fieldPath + ".kind", rule: "required field is missing") }
        if !seen.value { throw JSONScanError(field: scanner.fieldPath + ".value", rule: "required field is missing") }
        return contact
    }

    private static func readLocation(_ scanner: inout JSONScanner) throws(JSONScanError) -> Location {
        var location = Location()
        try scanner.readObject { (scanner: inout JSONScanner, key) throws(JSONScanError) in
            if scanner.skipNull() { return }
            switch key {
            case "address": location.address = try scanner.readString()
            case "levels": location.levels = try readList(&scanner, readAdminLevel)
            default: throw scanner.error("unknown field")
            }
        }
        return location
    }

    private static func readAdminLevel(_ scanner: inout JSONScanner) throws(JSONScanError) -> AdminLevel {
        var level = AdminLevel(level: 0)
        var hasLevel = false
        try scanner.readObject { (scanner: inout JSONScanner, key) throws(JSONScanError) in
            if key != "level" && scanner.skipNull() { return }
            switch key {
            case "level": (level.level, hasLevel) = (try scanner.readInt(), true)
            case "code": level.code = try scanner.readString()
            case "name": level.name = try scanner.readString()
            default: throw scanner.error("unknown field")
            }
        }
        if !hasLevel { throw JSONScanError(field: scanner.fieldPath + ".level", rule: "required field is missing") }
        return level
    }

    private static func readMembership(_ scanner: inout JSONScanner) throws(JSONScanError) -> GroupMembership {
        var membership = GroupMembership(id: "")
        var hasId = false
        try scanner.readObject { (scanner: inout JSONScanner, key) throws(JSONScanError) in
            if key != "id" && scanner.skipNull() { return }
            switch key {
            case "id": (membership.id, hasId) = (try scanner.readString(), true)
            case "relationshipToFocalPoint": membership.relationshipToFocalPoint = try scanner.readString()
            case "focalPoint": membership.focalPoint = try scanner.readBool()
            case "principalRecipient": membership.principalRecipient = try scanner.readBool()
            case "alternateRecipient": membership.alternateRecipient = try scanner.readBool()
            default: throw scanner.error("unknown field")
            }
        }
        if !hasId { throw JSONScanError(field: scanner.fieldPath + ".id", rule: "required field is missing") }
        return membership
    }

    private static func readMember(_ scanner: inout JSONScanner) throws(JSONScanError) -> GroupMember {
        var member = GroupMember(ref: "")
        var hasRef = false
        try scanner.readObject { (scanner: inout JSONScanner, key) throws(JSONScanError) in
            if key != "ref" && scanner.skipNull() { return }
            switch key {
            case "ref": (member.ref, hasRef) = (try scanner.readString(), true)
            case "relationshipToFocalPoint": member.relationshipToFocalPoint = try scanner.readString()
            case "focalPoint": member.focalPoint = try scanner.readBool()
            case "principalRecipient": member.principalRecipient = try scanner.readBool()
            case "alternateRecipient": member.alternateRecipient = try scanner.readBool()
            default: throw scanner.error("unknown field")
            }
        }
        if !hasRef { throw JSONScanError(field: scanner.fieldPath + ".ref", rule: "required field is missing") }
        return member
    }

    private static func readRelationship(_ scanner: inout JSONScanner) throws(JSONScanError) -> Relationship {
        var relationship = Relationship(type: "", ref: "")
        var seen = (type: false, ref: false)
        try scanner.readObject { (scanner: inout JSONScanner, key) throws(JSONScanError) in
            switch key {
            case "type": (relationship.type, seen.type) = (try scanner.readString(), true)
            case "ref": (relationship.ref, seen.ref) = (try scanner.readString(), true)
            default: throw scanner.error("unknown field")
            }
        }
        if !seen.type { throw JSONScanError(field: scanner.fieldPath + ".type", rule: "required field is missing") }
        if !seen.ref { throw JSONScanError(field: scanner.fieldPath + ".ref", rule: "required field is missing") }
        return relationship
    }

    private static func readEvent(_ scanner: inout JSONScanner) throws(JSONScanError) -> CivilEvent {
        var event = CivilEvent(type: "", role: "")
        var seen = (type: false, role: false)
        try scanner.readObject { (scanner: inout JSONScanner, key) throws(JSONScanError) in
            if key != "type" && key != "role" && scanner.skipNull() { return }
            switch key {
            case "type": (event.type, seen.type) = (try scanner.readString(), true)
            case "role": (event.role, seen.role) = (try scanner.readString(), true)
            case "date": event.date = try readDate(&scanner)
            case "place": event.place = try readPlace(&scanner)
            case "registration": event.registration = try readRegistration(&scanner)
            default: throw scanner.error("unknown field")
            }
        }
        if !seen.type { throw JSONScanError(field: scanner.fieldPath + ".type", rule: "required field is missing") }
        if !seen.role { throw JSONScanError(field: scanner.fieldPath + ".role", rule: "required field is missing") }
        return event
    }

    private static func readRegistration(_ scanner: inout JSONScanner) throws(JSONScanError) -> CivilRegistration {
        var registration = CivilRegistration()
        try scanner.readObject { (scanner: inout JSONScanner, key) throws(JSONScanError) in
            if scanner.skipNull() { return }
            switch key {
            case "number": registration.number = try scanner.readString()
            case "date": registration.date = try readDate(&scanner)
            case "authority": registration.authority = try scanner.readString()
            default: throw scanner.error("unknown field")
            }
        }
        return registration
    }

    private static func readConsent(_ scanner: inout JSONScanner) throws(JSONScanError) -> Consent {
        var consent = Consent(status: "")
        var hasStatus = false
        try scanner.readObject { (scanner: inout JSONScanner, key) throws(JSONScanError) in
            if key != "status" && scanner.skipNull() { return }
            switch key {
            case "status": (consent.status, hasStatus) = (try scanner.readString(), true)
            case "purposes": consent.purposes = try scanner.readStrings()
            case "date": consent.date = try readDate(&scanner)
            default: throw scanner.error("unknown field")
            }
        }
        if !hasStatus { throw JSONScanError(field: scanner.fieldPath + ".status", rule: "required field is missing") }
        return consent
    }

    private static func readProvenance(_ scanner: inout JSONScanner) throws(JSONScanError) -> Provenance {
        var provenance = Provenance()
        try scanner.readObject { (scanner: inout JSONScanner, key) throws(JSONScanError) in
            if scanner.skipNull() { return }
            switch key {
            case "system": provenance.system = try scanner.readString()
            case "recordId": provenance.recordId = try scanner.readString()
            case "format": provenance.format = try scanner.readString()
            case "formatVersion": provenance.formatVersion = try scanner.readString()
            case "receivedAt": provenance.receivedAt = try scanner.readString()
            default: throw scanner.error("unknown field")
            }
        }
        return provenance
    }

    private static func readExtensions(_ scanner: inout JSONScanner) throws(JSONScanError) -> [String: [String:
        JSONValue]]
    {
        var extensions: [String: [String: JSONValue]] = [:]
        try scanner.readObject { (scanner: inout JSONScanner, namespace) throws(JSONScanError) in
            var fields: [String: JSONValue] = [:]
            try scanner.readObject { (scanner: inout JSONScanner, field) throws(JSONScanError) in
                fields[field] = try scanner.readValue()
            }
            extensions[namespace] = fields
        }
        return extensions
    }
}
