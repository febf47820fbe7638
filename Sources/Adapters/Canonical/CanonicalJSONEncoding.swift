import PrimesModel

/// Writes canonical records as compact JSON with sorted keys, byte for byte what `JSONEncoder` with
/// `.sortedKeys` and `.withoutEscapingSlashes` produces, several times faster.
///
/// Conversions of millions of records spend most of their time here, so each type is written by hand,
/// its keys in sorted order. A test compares the output with `JSONEncoder`'s on every fixture.
public final class CanonicalJSONEncoding {
    public private(set) var bytes: [UInt8] = []

    private static let hexDigits = Array("0123456789abcdef".utf8)

    public init() {
        bytes.reserveCapacity(4096)
    }

    /// Clears the buffer and writes `record` into it; the bytes stay valid until the next call.
    public func encode(_ record: CanonicalRecord) {
        bytes.removeAll(keepingCapacity: true)
        switch record {
        case .person(let person): write(person)
        case .group(let group): write(group)
        }
    }

    // MARK: - Records

    private func write(_ person: Person) {
        var object = ObjectWriter(self)
        object.optional("birthDate", person.birthDate) { $0.write($1) }
        object.optional("birthPlace", person.birthPlace) { $0.write($1) }
        object.optional("consent", person.consent) { $0.write($1) }
        object.list("contacts", person.contacts) { $0.write($1) }
        object.optional("countryOfOrigin", person.countryOfOrigin) { $0.string($1) }
        object.optional("deathDate", person.deathDate) { $0.write($1) }
        object.list("events", person.events) { $0.write($1) }
        if !person.extensions.isEmpty { object.value("extensions") { $0.write(person.extensions) } }
        object.optional("group", person.group) { $0.write($1) }
        object.optional("id", person.id) { $0.string($1) }
        object.list("identifiers", person.identifiers) { $0.write($1) }
        object.list("languages", person.languages) { $0.write($1) }
        object.optional("location", person.location) { $0.write($1) }
        object.optional("maritalStatus", person.maritalStatus) { $0.string($1) }
        object.optional("name", person.name) { $0.write($1) }
        object.list("nationalities", person.nationalities) { $0.string($1) }
        object.list("otherNames", person.otherNames) { $0.write($1) }
        object.optional("populationType", person.populationType) { $0.string($1) }
        object.optional("provenance", person.provenance) { $0.write($1) }
        object.value("recordType") { $0.string("person") }
        object.optional("ref", person.ref) { $0.string($1) }
        object.optional("registrationDate", person.registrationDate) { $0.write($1) }
        object.list("relationships", person.relationships) { $0.write($1) }
        object.optional("sex", person.sex) { $0.string($1) }
        object.list("specificNeeds", person.specificNeeds) { $0.string($1) }
        object.optional("updatedAt", person.updatedAt) { $0.string($1) }
        object.optional("version", person.version) { $0.integer($1) }
        object.finish()
    }

    private func write(_ group: RegistrationGroup) {
        var object = ObjectWriter(self)
        object.optional("arrivalDate", group.arrivalDate) { $0.write($1) }
        if !group.extensions.isEmpty { object.value("extensions") { $0.write(group.extensions) } }
        object.value("id") { $0.string(group.id) }
        object.list("identifiers", group.identifiers) { $0.write($1) }
        object.optional("location", group.location) { $0.write($1) }
        object.list("members", group.members) { $0.write($1) }
        object.optional("name", group.name) { $0.string($1) }
        object.optional("provenance", group.provenance) { $0.write($1) }
        object.value("recordType") { $0.string("group") }
        object.optional("registrationSource", group.registrationSource) { $0.string($1) }
        object.optional("residenceStatus", group.residenceStatus) { $0.string($1) }
        object.optional("size", group.size) { $0.integer($1) }
        object.optional("updatedAt", group.updatedAt) { $0.string($1) }
        object.optional("version", group.version) { $0.integer($1) }
        object.optional("vulnerabilityRating", group.vulnerabilityRating) { $0.string($1) }
        object.finish()
    }

    // MARK: - Parts

    private func write(_ date: PartialDate) {
        var object = ObjectWriter(self)
        object.value("estimated") { $0.boolean(date.estimated) }
        object.value("precision") { $0.string(date.precision.rawValue) }
        object.value("value") { $0.string(date.isoText) }
        object.finish()
    }

    private func write(_ identifier: Identifier) {
        var object = ObjectWriter(self)
        object.optional("issuer", identifier.issuer) { $0.string($1) }
        object.value("scheme") { $0.string(identifier.scheme) }
        object.value("value") { $0.string(identifier.value) }
        object.finish()
    }

    private func write(_ name: PersonName) {
        var object = ObjectWriter(self)
        object.list("aliases", name.aliases) { $0.string($1) }
        object.optional("birthName", name.birthName) { $0.string($1) }
        object.optional("commonlyUsed", name.commonlyUsed) { $0.string($1) }
        object.optional("family", name.family) { $0.string($1) }
        object.optional("given", name.given) { $0.string($1) }
        object.optional("middle", name.middle) { $0.string($1) }
        object.optional("script", name.script) { $0.string($1) }
        object.finish()
    }

    private func write(_ place: Place) {
        var object = ObjectWriter(self)
        object.optional("adminCode", place.adminCode) { $0.string($1) }
        object.optional("country", place.country) { $0.string($1) }
        object.optional("text", place.text) { $0.string($1) }
        object.finish()
    }

    private func write(_ language: LanguageSkill) {
        var object = ObjectWriter(self)
        object.value("code") { $0.string(language.code) }
        object.optional("motherTongue", language.motherTongue) { $0.boolean($1) }
        object.optional("read", language.read) { $0.string($1) }
        object.optional("speak", language.speak) { $0.string($1) }
        object.optional("understand", language.understand) { $0.string($1) }
        object.optional("write", language.write) { $0.string($1) }
        object.finish()
    }

    private func write(_ contact: Contact) {
        var object = ObjectWriter(self)
        object.value("kind") { $0.string(contact.kind) }
        object.optional("primary", contact.primary) { $0.boolean($1) }
        object.value("value") { $0.string(contact.value) }
        object.finish()
    }

    private func write(_ location: Location) {
        var object = ObjectWriter(self)
        object.optional("address", location.address) { $0.string($1) }
        object.list("levels", location.levels) { encoding, level in
            var inner = ObjectWriter(encoding)
            inner.optional("code", level.code) { $0.string($1) }
            inner.value("level") { $0.integer(level.level) }
            inner.optional("name", level.name) { $0.string($1) }
            inner.finish()
        }
        object.finish()
    }

    private func write(_ membership: GroupMembership) {
        var object = ObjectWriter(self)
        object.value("alternateRecipient") { $0.boolean(membership.alternateRecipient) }
        object.value("focalPoint") { $0.boolean(membership.focalPoint) }
        object.value("id") { $0.string(membership.id) }
        object.value("principalRecipient") { $0.boolean(membership.principalRecipient) }
        object.optional("relationshipToFocalPoint", membership.relationshipToFocalPoint) { $0.string($1) }
        object.finish()
    }

    private func write(_ member: GroupMember) {
        var object = ObjectWriter(self)
        object.value("alternateRecipient") { $0.boolean(member.alternateRecipient) }
        object.value("focalPoint") { $0.boolean(member.focalPoint) }
        object.value("principalRecipient") { $0.boolean(member.principalRecipient) }
        object.value("ref") { $0.string(member.ref) }
        object.optional("relationshipToFocalPoint", member.relationshipToFocalPoint) { $0.string($1) }
        object.finish()
    }

    private func write(_ relationship: Relationship) {
        var object = ObjectWriter(self)
        object.value("ref") { $0.string(relationship.ref) }
        object.value("type") { $0.string(relationship.type) }
        object.finish()
    }

    private func write(_ event: CivilEvent) {
        var object = ObjectWriter(self)
        object.optional("date", event.date) { $0.write($1) }
        object.optional("place", event.place) { $0.write($1) }
        object.optional("registration", event.registration) { encoding, registration in
            var inner = ObjectWriter(encoding)
            inner.optional("authority", registration.authority) { $0.string($1) }
            inner.optional("date", registration.date) { $0.write($1) }
            inner.optional("number", registration.number) { $0.string($1) }
            inner.finish()
        }
        object.value("role") { $0.string(event.role) }
        object.value("type") { $0.string(event.type) }
        object.finish()
    }

    private func write(_ consent: Consent) {
        var object = ObjectWriter(self)
        object.optional("date", consent.date) { $0.write($1) }
        object.list("purposes", consent.purposes) { $0.string($1) }
        object.value("status") { $0.string(consent.status) }
        object.finish()
    }

    private func write(_ provenance: Provenance) {
        var object = ObjectWriter(self)
        object.optional("format", provenance.format) { $0.string($1) }
        object.optional("formatVersion", provenance.formatVersion) { $0.string($1) }
        object.optional("receivedAt", provenance.receivedAt) { $0.string($1) }
        object.optional("recordId", provenance.recordId) { $0.string($1) }
        object.optional("system", provenance.system) { $0.string($1) }
        object.finish()
    }

    private func write(_ extensions: [String: [String: JSONValue]]) {
        var object = ObjectWriter(self)
        for namespace in extensions.keys.sorted() {
            object.value(namespace) { $0.write(.object(extensions[namespace] ?? [:])) }
        }
        object.finish()
    }

    private func write(_ value: JSONValue) {
        switch value {
        case .null: bytes.append(contentsOf: "null".utf8)
        case .bool(let flag): boolean(flag)
        case .number(let number): self.number(number)
        case .string(let text): string(text)
        case .array(let array):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in array.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                write(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let object):
            var writer = ObjectWriter(self)
            for key in object.keys.sorted() { writer.value(key) { $0.write(object[key] ?? .null) } }
            writer.finish()
        }
    }

    // MARK: - Scalars

    func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        // Most text needs no escaping: copy it whole when no byte is a quote, a backslash or a control.
        // Native strings are contiguous UTF-8, so the check and the copy run over a plain buffer.
        let copied = text.utf8.withContiguousStorageIfAvailable { (utf8) -> Bool in
            guard utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C }) else { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
        if copied == true {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x08: bytes.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0..<0x20:
                let hex = Self.hexDigits
                bytes.append(contentsOf: [
                    0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)],
                ])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    func integer(_ number: Int) {
        bytes.append(contentsOf: String(number).utf8)
    }

    func boolean(_ flag: Bool) {
        bytes.append(contentsOf: (flag ? "true" : "false").utf8)
    }

    private func number(_ number: Double) {
        if number.rounded() == number && abs(number) < 1e15 {
            bytes.append(contentsOf: String(Int64(number)).utf8)
        } else {
            bytes.append(contentsOf: "\(number)".utf8)
        }
    }
}

/// Writes one JSON object's members into the encoding's buffer, with commas between them.
private struct ObjectWriter {
    private let encoding: CanonicalJSONEncoding
    private var first = true

    init(_ encoding: CanonicalJSONEncoding) {
        self.encoding = encoding
        encoding.appendByte(UInt8(ascii: "{"))
    }

    mutating func value(_ key: String, _ body: (CanonicalJSONEncoding) -> Void) {
        if !first { encoding.appendByte(UInt8(ascii: ",")) }
        first = false
        encoding.string(key)
        encoding.appendByte(UInt8(ascii: ":"))
        body(encoding)
    }

    mutating func optional<Value>(_ key: String, _ value: Value?, _ body: (CanonicalJSONEncoding, Value) -> Void) {
        guard let value else { return }
        self.value(key) { body($0, value) }
    }

    mutating func list<Element>(_ key: String, _ elements: [Element], _ body: (CanonicalJSONEncoding, Element) -> Void)
    {
        guard !elements.isEmpty else { return }
        value(key) { encoding in
            encoding.appendByte(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { encoding.appendByte(UInt8(ascii: ",")) }
                body(encoding, element)
            }
            encoding.appendByte(UInt8(ascii: "]"))
        }
    }

    func finish() {
        encoding.appendByte(UInt8(ascii: "}"))
    }
}

extension CanonicalJSONEncoding {
    fileprivate func appendByte(_ byte: UInt8) {
        bytes.append(byte)
    }
}
