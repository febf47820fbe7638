/// Gathers the field issues of one record; the rules that several record kinds share live here.
///
/// Validation runs on every record of a million-row conversion, so a check builds its field path (such as
/// `contacts[0].value`) only when it finds a problem, and looks at bytes rather than Characters where the
/// rule is about ASCII.
struct IssueCollector {
    let lists: ValidationCodeLists
    private(set) var found: [FieldIssue] = []

    init(lists: ValidationCodeLists) {
        self.lists = lists
    }

    mutating func add(_ field: String, _ rule: String, severity: FieldIssue.Severity = .error) {
        found.append(FieldIssue(field: field, rule: rule, severity: severity))
    }

    mutating func checkCode(_ code: String?, in list: CodeList?, named name: String, field: @autoclosure () -> String) {
        guard let code else { return }
        guard let list else {
            add(field(), "code list \(name) is not loaded")
            return
        }
        guard !list.contains(code) else { return }
        if let failure = list.loadFailure {
            add(field(), "code list \(name) could not be read: \(failure)")
        } else {
            add(field(), "\"\(code)\" is not in code list \(name) (version \(list.version))")
        }
    }

    mutating func checkNotBlank(_ text: String, field: @autoclosure () -> String) {
        if text.isBlank { add(field(), "must not be empty") }
    }

    mutating func checkBlankIfPresent(_ text: String?, field: @autoclosure () -> String) {
        if let text, text.isBlank { add(field(), "must not be empty") }
    }

    /// proGres individual and group ids look like `{office}-[{yy}-]{sequence}`: `803-100016547`, `NUR-15-05387`.
    mutating func checkProgresId(_ id: String, field: String) {
        // On bytes: every valid id is ASCII, and this runs for every record a server ingests.
        let parts = id.utf8.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
        func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        let office = parts.first ?? id.utf8[...]
        let shapeIsRight =
            (parts.count == 2 || parts.count == 3)
            && (2...6).contains(office.count)
            && office.allSatisfy { isDigit($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
            && (parts.count == 2 || (parts[1].count == 2 && parts[1].allSatisfy(isDigit)))
            && (4...12).contains(parts[parts.count - 1].count)
            && parts[parts.count - 1].allSatisfy(isDigit)
        if !shapeIsRight { add(field, "not a proGres id of the form OFFICE-[YY-]SEQUENCE") }
    }

    mutating func checkIdentifiers(_ identifiers: [Identifier]) {
        for (index, identifier) in identifiers.enumerated() {
            checkNotBlank(identifier.scheme, field: "identifiers[\(index)].scheme")
            checkNotBlank(identifier.value, field: "identifiers[\(index)].value")
            if identifier.scheme.containsWhitespace {
                add("identifiers[\(index)].scheme", "a scheme is a dotted name or a URI, without spaces")
            }
            if identifiers[..<index].contains(where: { $0.scheme == identifier.scheme && $0.value == identifier.value })
            {
                add("identifiers[\(index)]", "the same identifier is listed twice")
            }
        }
    }

    mutating func checkName(_ name: PersonName, field: @autoclosure () -> String) {
        let hasPart =
            name.given != nil || name.middle != nil || name.family != nil || name.commonlyUsed != nil
            || name.birthName != nil
        if !hasPart && name.aliases.isEmpty { add(field(), "a name needs at least one part") }
        checkBlankIfPresent(name.given, field: field() + ".given")
        checkBlankIfPresent(name.family, field: field() + ".family")
        if let script = name.script, !(script.count == 4 && script.allSatisfy(\.isLetter)) {
            add(field() + ".script", "not an ISO 15924 script code")
        }
    }

    mutating func checkPlace(_ place: Place?, field: @autoclosure () -> String) {
        guard let place else { return }
        checkCode(place.country, in: lists.countries, named: ISOCodeTables.countryListName, field: field() + ".country")
        if place.text == nil && place.country == nil && place.adminCode == nil { add(field(), "a place needs a part") }
    }

    mutating func checkContacts(_ contacts: [Contact]) {
        for (index, contact) in contacts.enumerated() {
            checkCode(contact.kind, in: lists.contactKind, named: "contact-kind", field: "contacts[\(index)].kind")
            switch contact.kind {
            case "phone":
                // every allowed character is ASCII, so bytes tell as much as Characters would
                var digits = 0
                var allowed = true
                for byte in contact.value.utf8 {
                    switch byte {
                    case 0x30...0x39: digits += 1
                    case UInt8(ascii: " "), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "("),
                        UInt8(ascii: ")"), UInt8(ascii: "."):
                        break
                    default: allowed = false
                    }
                }
                if !allowed || !(3...15).contains(digits) {
                    add("contacts[\(index)].value", "a phone number has 3 to 15 digits and only + - ( ) . or spaces")
                } else if contact.value.utf8.first != UInt8(ascii: "+") {
                    add("contacts[\(index)].value", "not in E.164 form (+country code)", severity: .warning)
                }
            case "email":
                let parts = contact.value.split(separator: "@", omittingEmptySubsequences: false)
                if parts.count != 2 || parts[0].isEmpty || !parts[1].contains(".") {
                    add("contacts[\(index)].value", "not an e-mail address")
                }
            default: break
            }
        }
    }

    mutating func checkLocation(_ location: Location?, field: @autoclosure () -> String) {
        guard let location else { return }
        for (index, level) in location.levels.enumerated() {
            if !(1...6).contains(level.level) { add("\(field()).levels[\(index)].level", "must be between 1 and 6") }
            if location.levels[..<index].contains(where: { $0.level == level.level }) {
                add("\(field()).levels[\(index)].level", "level given twice")
            }
            if level.code == nil && level.name == nil { add("\(field()).levels[\(index)]", "needs a code or a name") }
        }
    }

    mutating func checkExtensions(_ extensions: [String: [String: JSONValue]]) {
        guard !extensions.isEmpty else { return }
        for namespace in extensions.keys.sorted() {
            let segments = namespace.split(separator: ".", omittingEmptySubsequences: false)
            let wellFormed =
                segments.count >= 2
                && segments.allSatisfy { segment in
                    !segment.isEmpty
                        && segment.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
                }
            if !wellFormed {
                add("extensions.\(namespace)", "a namespace is a dotted lower-case name like unhcr.progres")
            }
        }
    }

    mutating func checkVersion(_ version: Int?, updatedAt: String?) {
        if let version, version < 0 { add("version", "must not be negative") }
        if let updatedAt, !Timestamp.isISO8601DateTime(updatedAt) {
            add("updatedAt", "not an ISO 8601 date-time with a time zone")
        }
    }
}

extension Character {
    var isASCIINumber: Bool {
        isASCII && isNumber
    }
}

extension String {
    // Validation runs on every field of every record; for ASCII text, which most is, looking at bytes
    // is much cheaper than asking each Character for its Unicode properties.

    /// Whether the text is empty or only whitespace.
    var isBlank: Bool {
        if let first = utf8.first, first > 0x20 && first < 0x80 { return false }
        return allSatisfy(\.isWhitespace)
    }

    /// Whether any character is whitespace.
    var containsWhitespace: Bool {
        if utf8.allSatisfy({ $0 > 0x20 && $0 < 0x80 }) { return false }
        return contains(where: \.isWhitespace)
    }
}
