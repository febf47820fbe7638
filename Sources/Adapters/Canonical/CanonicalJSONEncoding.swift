import PrimesModel

/// Writes canonical records as compact JSON with sorted keys, byte for byte what `JSONEncoder` with
/// `.sortedKeys` and `.withoutEscapingSlashes` produces, many times faster.
///
/// A reusable holder of `CanonicalJSONOutput` for callers that encode one record at a time and want its bytes.
/// A test compares the output with `JSONEncoder`'s on every fixture.
public final class CanonicalJSONEncoding {
    /// Kept between records with its buffers.
    private var output = CanonicalJSONOutput()

    public var bytes: [UInt8] { output.bytes }

    public init() {
        output.bytes.reserveCapacity(4096)
    }

    /// Clears the buffer and writes `record` into it; the bytes stay valid until the next call.
    public func encode(_ record: CanonicalRecord) {
        output.bytes.removeAll(keepingCapacity: true)
        output.append(record)
    }
}

/// The canonical JSON writer itself: a value type that appends records to one byte buffer.
///
/// Conversions of millions of records spend much of their time here, so every type is written by hand with
/// its keys in sorted order and spelled as literals (quotes and colon included), and nothing is allocated
/// but the buffer's growth. Being a struct used through `inout`, it pays no exclusivity checks or reference
/// counting per byte, as a class's stored property would.
///
/// A record is written through a pointer into a scratch buffer, then joins `bytes` in one copy: appending each
/// key and value to the array took about ninety instructions a time, a few dozen times a person.
public struct CanonicalJSONOutput {
    public var bytes: [UInt8] = []
    /// Where a record is written, sized by the largest record so far (4 KiB at first); empty until a record is.
    private var scratch: [UInt8] = []
    /// The next byte of `scratch` to write while a record is written; nil otherwise, when writes go to `bytes`.
    private var position: UnsafeMutablePointer<UInt8>?
    /// The bytes of `scratch` left after `position`.
    private var room = 0
    /// Whether the record being written did not fit in `scratch`; it is then written again in a larger one.
    private var overflowed = false

    public init() {}

    /// Appends `record` as one JSON object, without a line end.
    public mutating func append(_ record: CanonicalRecord) {
        var scratch = self.scratch
        self.scratch = []
        defer { self.scratch = scratch }
        if scratch.isEmpty { scratch = Self.scratch(count: 4096) }
        while true {
            let written = scratch.withUnsafeMutableBufferPointer { buffer -> Int? in
                guard let start = buffer.baseAddress else { return nil }
                position = start
                room = buffer.count
                overflowed = false
                defer { position = nil }
                switch record {
                case .person(let person): write(person)
                case .group(let group): write(group)
                }
                guard !overflowed, let position else { return nil }
                return position - start
            }
            if let written {
                scratch.withUnsafeBufferPointer {
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<written]))
                }
                return
            }
            scratch = Self.scratch(count: scratch.count * 2)
        }
    }

    /// A scratch buffer left uninitialised: every byte read from it was written first, and zeroing it took as
    /// long as writing a record into it (the gateway makes one for each request it ingests).
    private static func scratch(count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { _, initialised in initialised = count }
    }

    // MARK: - Records

    private mutating func write(_ person: Person) {
        var first = true
        byte(0x7B)
        if let date = person.birthDate {
            key("\"birthDate\":", &first)
            write(date)
        }
        if let place = person.birthPlace {
            key("\"birthPlace\":", &first)
            write(place)
        }
        if let consent = person.consent {
            key("\"consent\":", &first)
            write(consent)
        }
        if !person.contacts.isEmpty {
            key("\"contacts\":", &first)
            byte(0x5B)
            for (index, contact) in person.contacts.enumerated() {
                if index > 0 { byte(0x2C) }
                write(contact)
            }
            byte(0x5D)
        }
        if let country = person.countryOfOrigin { member("\"countryOfOrigin\":", country, &first) }
        if let date = person.deathDate {
            key("\"deathDate\":", &first)
            write(date)
        }
        if !person.events.isEmpty {
            key("\"events\":", &first)
            byte(0x5B)
            for (index, event) in person.events.enumerated() {
                if index > 0 { byte(0x2C) }
                write(event)
            }
            byte(0x5D)
        }
        if !person.extensions.isEmpty {
            key("\"extensions\":", &first)
            write(person.extensions)
        }
        if let group = person.group {
            key("\"group\":", &first)
            write(group)
        }
        if let id = person.id { member("\"id\":", id, &first) }
        if !person.identifiers.isEmpty {
            key("\"identifiers\":", &first)
            write(person.identifiers)
        }
        if !person.languages.isEmpty {
            key("\"languages\":", &first)
            byte(0x5B)
            for (index, language) in person.languages.enumerated() {
                if index > 0 { byte(0x2C) }
                write(language)
            }
            byte(0x5D)
        }
        if let location = person.location {
            key("\"location\":", &first)
            write(location)
        }
        if let status = person.maritalStatus { member("\"maritalStatus\":", status, &first) }
        if let name = person.name {
            key("\"name\":", &first)
            write(name)
        }
        if !person.nationalities.isEmpty {
            key("\"nationalities\":", &first)
            write(person.nationalities)
        }
        if !person.otherNames.isEmpty {
            key("\"otherNames\":", &first)
            byte(0x5B)
            for (index, name) in person.otherNames.enumerated() {
                if index > 0 { byte(0x2C) }
                write(name)
            }
            byte(0x5D)
        }
        if let type = person.populationType { member("\"populationType\":", type, &first) }
        if let provenance = person.provenance {
            key("\"provenance\":", &first)
            write(provenance)
        }
        key("\"recordType\":\"person\"", &first)
        if let ref = person.ref { member("\"ref\":", ref, &first) }
        if let date = person.registrationDate {
            key("\"registrationDate\":", &first)
            write(date)
        }
        if !person.relationships.isEmpty {
            key("\"relationships\":", &first)
            byte(0x5B)
            for (index, relationship) in person.relationships.enumerated() {
                if index > 0 { byte(0x2C) }
                literal("{\"ref\":")
                string(relationship.ref)
                literal(",\"type\":")
                string(relationship.type)
                byte(0x7D)
            }
            byte(0x5D)
        }
        if let sex = person.sex { member("\"sex\":", sex, &first) }
        if !person.specificNeeds.isEmpty {
            key("\"specificNeeds\":", &first)
            write(person.specificNeeds)
        }
        if let updatedAt = person.updatedAt { member("\"updatedAt\":", updatedAt, &first) }
        if let version = person.version {
            key("\"version\":", &first)
            integer(version)
        }
        byte(0x7D)
    }

    private mutating func write(_ group: RegistrationGroup) {
        var first = true
        byte(0x7B)
        if let date = group.arrivalDate {
            key("\"arrivalDate\":", &first)
            write(date)
        }
        if !group.extensions.isEmpty {
            key("\"extensions\":", &first)
            write(group.extensions)
        }
        member("\"id\":", group.id, &first)
        if !group.identifiers.isEmpty {
            key("\"identifiers\":", &first)
            write(group.identifiers)
        }
        if let location = group.location {
            key("\"location\":", &first)
            write(location)
        }
        if !group.members.isEmpty {
            key("\"members\":", &first)
            byte(0x5B)
            for (index, member) in group.members.enumerated() {
                if index > 0 { byte(0x2C) }
                write(member)
            }
            byte(0x5D)
        }
        if let name = group.name { member("\"name\":", name, &first) }
        if let provenance = group.provenance {
            key("\"provenance\":", &first)
            write(provenance)
        }
        key("\"recordType\":\"group\"", &first)
        if let source = group.registrationSource { member("\"registrationSource\":", source, &first) }
        if let status = group.residenceStatus { member("\"residenceStatus\":", status, &first) }
        if let size = group.size {
            key("\"size\":", &first)
            integer(size)
        }
        if let updatedAt = group.updatedAt { member("\"updatedAt\":", updatedAt, &first) }
        if let version = group.version {
            key("\"version\":", &first)
            integer(version)
        }
        if let rating = group.vulnerabilityRating { member("\"vulnerabilityRating\":", rating, &first) }
        byte(0x7D)
    }

    // MARK: - Parts

    private mutating func write(_ date: PartialDate) {
        literal(date.estimated ? "{\"estimated\":true,\"precision\":" : "{\"estimated\":false,\"precision\":")
        switch date.precision {
        case .year: literal("\"year\",\"value\":\"")
        case .month: literal("\"month\",\"value\":\"")
        case .day: literal("\"day\",\"value\":\"")
        }
        if (0...9999).contains(date.year) && (date.month ?? 1).isTwoDigits && (date.day ?? 1).isTwoDigits {
            digits(date.year, width: 4)
            if let month = date.month {
                byte(0x2D)
                digits(month, width: 2)
            }
            if let day = date.day {
                byte(0x2D)
                digits(day, width: 2)
            }
        } else {
            escapedContents(date.isoText)
        }
        literal("\"}")
    }

    private mutating func write(_ identifiers: [Identifier]) {
        byte(0x5B)
        for (index, identifier) in identifiers.enumerated() {
            if index > 0 { byte(0x2C) }
            byte(0x7B)
            if let issuer = identifier.issuer {
                literal("\"issuer\":")
                string(issuer)
                byte(0x2C)
            }
            literal("\"scheme\":")
            string(identifier.scheme)
            literal(",\"value\":")
            string(identifier.value)
            byte(0x7D)
        }
        byte(0x5D)
    }

    private mutating func write(_ name: PersonName) {
        var first = true
        byte(0x7B)
        if !name.aliases.isEmpty {
            key("\"aliases\":", &first)
            write(name.aliases)
        }
        if let birthName = name.birthName { member("\"birthName\":", birthName, &first) }
        if let commonlyUsed = name.commonlyUsed { member("\"commonlyUsed\":", commonlyUsed, &first) }
        if let family = name.family { member("\"family\":", family, &first) }
        if let given = name.given { member("\"given\":", given, &first) }
        if let middle = name.middle { member("\"middle\":", middle, &first) }
        if let script = name.script { member("\"script\":", script, &first) }
        byte(0x7D)
    }

    private mutating func write(_ place: Place) {
        var first = true
        byte(0x7B)
        if let adminCode = place.adminCode { member("\"adminCode\":", adminCode, &first) }
        if let country = place.country { member("\"country\":", country, &first) }
        if let text = place.text { member("\"text\":", text, &first) }
        byte(0x7D)
    }

    private mutating func write(_ language: LanguageSkill) {
        literal("{\"code\":")
        string(language.code)
        if let motherTongue = language.motherTongue {
            literal(",\"motherTongue\":")
            boolean(motherTongue)
        }
        if let read = language.read {
            literal(",\"read\":")
            string(read)
        }
        if let speak = language.speak {
            literal(",\"speak\":")
            string(speak)
        }
        if let understand = language.understand {
            literal(",\"understand\":")
            string(understand)
        }
        if let write = language.write {
            literal(",\"write\":")
            string(write)
        }
        byte(0x7D)
    }

    private mutating func write(_ contact: Contact) {
        literal("{\"kind\":")
        string(contact.kind)
        if let primary = contact.primary {
            literal(",\"primary\":")
            boolean(primary)
        }
        literal(",\"value\":")
        string(contact.value)
        byte(0x7D)
    }

    private mutating func write(_ location: Location) {
        var first = true
        byte(0x7B)
        if let address = location.address { member("\"address\":", address, &first) }
        if !location.levels.isEmpty {
            key("\"levels\":", &first)
            byte(0x5B)
            for (index, level) in location.levels.enumerated() {
                if index > 0 { byte(0x2C) }
                byte(0x7B)
                if let code = level.code {
                    literal("\"code\":")
                    string(code)
                    byte(0x2C)
                }
                literal("\"level\":")
                integer(level.level)
                if let name = level.name {
                    literal(",\"name\":")
                    string(name)
                }
                byte(0x7D)
            }
            byte(0x5D)
        }
        byte(0x7D)
    }

    private mutating func write(_ membership: GroupMembership) {
        literal("{\"alternateRecipient\":")
        boolean(membership.alternateRecipient)
        literal(",\"focalPoint\":")
        boolean(membership.focalPoint)
        literal(",\"id\":")
        string(membership.id)
        literal(",\"principalRecipient\":")
        boolean(membership.principalRecipient)
        if let relationship = membership.relationshipToFocalPoint {
            literal(",\"relationshipToFocalPoint\":")
            string(relationship)
        }
        byte(0x7D)
    }

    private mutating func write(_ member: GroupMember) {
        literal("{\"alternateRecipient\":")
        boolean(member.alternateRecipient)
        literal(",\"focalPoint\":")
        boolean(member.focalPoint)
        literal(",\"principalRecipient\":")
        boolean(member.principalRecipient)
        literal(",\"ref\":")
        string(member.ref)
        if let relationship = member.relationshipToFocalPoint {
            literal(",\"relationshipToFocalPoint\":")
            string(relationship)
        }
        byte(0x7D)
    }

    private mutating func write(_ event: CivilEvent) {
        byte(0x7B)
        if let date = event.date {
            literal("\"date\":")
            write(date)
            byte(0x2C)
        }
        if let place = event.place {
            literal("\"place\":")
            write(place)
            byte(0x2C)
        }
        if let registration = event.registration {
            var first = true
            literal("\"registration\":{")
            if let authority = registration.authority { member("\"authority\":", authority, &first) }
            if let date = registration.date {
                key("\"date\":", &first)
                write(date)
            }
            if let number = registration.number { member("\"number\":", number, &first) }
            literal("},")
        }
        literal("\"role\":")
        string(event.role)
        literal(",\"type\":")
        string(event.type)
        byte(0x7D)
    }

    private mutating func write(_ consent: Consent) {
        byte(0x7B)
        if let date = consent.date {
            literal("\"date\":")
            write(date)
            byte(0x2C)
        }
        if !consent.purposes.isEmpty {
            literal("\"purposes\":")
            write(consent.purposes)
            byte(0x2C)
        }
        literal("\"status\":")
        string(consent.status)
        byte(0x7D)
    }

    mutating func write(_ provenance: Provenance) {
        var first = true
        byte(0x7B)
        if let format = provenance.format { member("\"format\":", format, &first) }
        if let version = provenance.formatVersion { member("\"formatVersion\":", version, &first) }
        if let receivedAt = provenance.receivedAt { member("\"receivedAt\":", receivedAt, &first) }
        if let recordId = provenance.recordId { member("\"recordId\":", recordId, &first) }
        if let system = provenance.system { member("\"system\":", system, &first) }
        byte(0x7D)
    }

    private mutating func write(_ texts: [String]) {
        byte(0x5B)
        for (index, text) in texts.enumerated() {
            if index > 0 { byte(0x2C) }
            string(text)
        }
        byte(0x5D)
    }

    private mutating func write(_ extensions: [String: [String: JSONValue]]) {
        byte(0x7B)
        for (index, namespace) in extensions.keys.sorted().enumerated() {
            if index > 0 { byte(0x2C) }
            string(namespace)
            byte(0x3A)
            write(object: extensions[namespace] ?? [:])
        }
        byte(0x7D)
    }

    private mutating func write(object: [String: JSONValue]) {
        byte(0x7B)
        for (index, key) in object.keys.sorted().enumerated() {
            if index > 0 { byte(0x2C) }
            string(key)
            byte(0x3A)
            write(object[key] ?? .null)
        }
        byte(0x7D)
    }

    private mutating func write(_ value: JSONValue) {
        switch value {
        case .null: literal("null")
        case .bool(let flag): boolean(flag)
        case .number(let number): self.number(number)
        case .string(let text): string(text)
        case .array(let array):
            byte(0x5B)
            for (index, element) in array.enumerated() {
                if index > 0 { byte(0x2C) }
                write(element)
            }
            byte(0x5D)
        case .object(let object): write(object: object)
        }
    }

    // MARK: - Scalars

    /// Starts an object member: a comma unless it is the first, then `"name":` (or a whole literal member).
    @inline(__always)
    private mutating func key(_ spelled: StaticString, _ first: inout Bool) {
        if !first { byte(0x2C) }
        first = false
        literal(spelled)
    }

    @inline(__always)
    private mutating func member(_ spelled: StaticString, _ text: String, _ first: inout Bool) {
        key(spelled, &first)
        string(text)
    }

    @inline(__always)
    mutating func byte(_ value: UInt8) {
        guard let position else {
            bytes.append(value)
            return
        }
        guard room > 0 else {
            overflowed = true
            return
        }
        position.initialize(to: value)
        self.position = position + 1
        room -= 1
    }

    /// Writes `source` where the record goes: the scratch buffer while a record is written, else `bytes`.
    @inline(__always)
    private mutating func put(_ source: UnsafeBufferPointer<UInt8>) {
        guard let position else {
            bytes.append(contentsOf: source)
            return
        }
        guard room >= source.count else {
            overflowed = true
            room = 0
            return
        }
        guard let base = source.baseAddress else { return }
        position.update(from: base, count: source.count)
        self.position = position + source.count
        room -= source.count
    }

    @inline(__always)
    mutating func literal(_ text: StaticString) {
        put(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func string(_ text: String) {
        byte(0x22)
        escapedContents(text)
        byte(0x22)
    }

    /// `bytes` (UTF-8) as a JSON string, escaped exactly as `string(_:)` escapes the same text.
    mutating func string(bytes utf8: UnsafeBufferPointer<UInt8>) {
        byte(0x22)
        escapedContents(utf8)
        byte(0x22)
    }

    /// The text between a JSON string's quotes.
    private mutating func escapedContents(_ text: String) {
        // Native strings are contiguous UTF-8, so the check and the copy run over a plain buffer.
        let copied = text.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            escapedContents(utf8)
            return true
        }
        if copied == true { return }
        for byte in text.utf8 { escaped(byte) }
    }

    private mutating func escapedContents(_ utf8: UnsafeBufferPointer<UInt8>) {
        // Most text needs no escaping: copy it whole.
        guard JSONEscape.isPlain(utf8) else {
            for byte in utf8 { escaped(byte) }
            return
        }
        put(utf8)
    }

    private mutating func escaped(_ byte: UInt8) {
        if let sequence = JSONEscape.escape(byte) {
            sequence.withUnsafeBufferPointer { put($0) }
        } else {
            self.byte(byte)
        }
    }

    mutating func integer(_ number: Int) {
        guard number >= 0 else {
            var text = String(number)
            text.withUTF8 { put($0) }
            return
        }
        var width = 1
        var limit = 10
        while number >= limit && width < 19 {
            width += 1
            limit = limit &* 10
        }
        digits(number, width: width)
    }

    /// `number` (not negative) in decimal, left-padded with zeros to `width` digits.
    /// A number wider than `width` keeps its last `width` digits; a negative one is written as zeros.
    mutating func digits(_ number: Int, width: Int) {
        let number = max(number, 0)
        var divisor = 1
        for _ in 1..<max(width, 1) { divisor &*= 10 }
        for _ in 0..<width {
            byte(0x30 + UInt8(truncatingIfNeeded: number / divisor % 10))
            divisor /= 10
        }
    }

    mutating func boolean(_ flag: Bool) {
        if flag { literal("true") } else { literal("false") }
    }

    private mutating func number(_ number: Double) {
        var text = number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : "\(number)"
        text.withUTF8 { put($0) }
    }
}

extension Int {
    fileprivate var isTwoDigits: Bool {
        (0...99).contains(self)
    }
}
