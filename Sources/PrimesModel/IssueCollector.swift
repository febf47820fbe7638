/// Gathers the field issues of one record; the rules that several record kinds share live here.
struct IssueCollector {
    let codeLists: CanonicalCodeLists
    private(set) var found: [FieldIssue] = []

    init(codeLists: CanonicalCodeLists) {
        self.codeLists = codeLists
    }

    mutating func add(_ field: String, _ rule: String, severity: FieldIssue.Severity = .error) {
        found.append(FieldIssue(field: field, rule: rule, severity: severity))
    }

    mutating func checkCode(_ code: String?, list name: String, field: String) {
        guard let code else { return }
        guard let list = codeLists[name] else {
            add(field, "code list \(name) is not loaded")
            return
        }
        if !list.contains(code) { add(field, "\"\(code)\" is not in code list \(name) (version \(list.version))") }
    }

    mutating func checkNotBlank(_ text: String, field: String) {
        if text.isBlank { add(field, "must not be empty") }
    }

    mutating func checkBlankIfPresent(_ text: String?, field: String) {
        if let text { checkNotBlank(text, field: field) }
    }

    /// proGres individual and group ids look like `{office}-[{yy}-]{sequence}`: `803-100016547`, `NUR-15-05387`.
    mutating func checkProgresId(_ id: String, field: String) {
        let parts = id.split(separator: "-", omittingEmptySubsequences: false)
        let office = parts.first ?? ""
        let shapeIsRight =
            (parts.count == 2 || parts.count == 3)
            && (2...6).contains(office.count)
            && office.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber) }
            && (parts.count == 2 || (parts[1].count == 2 && parts[1].allSatisfy(\.isASCIINumber)))
            && (4...12).contains(parts[parts.count - 1].count)
            && parts[parts.count - 1].allSatisfy(\.isASCIINumber)
        if !shapeIsRight { add(field, "not a proGres id of the form OFFICE-[YY-]SEQUENCE") }
    }

    mutating func checkIdentifiers(_ identifiers: [Identifier]) {
        var seen = Set<String>()
        for (index, identifier) in identifiers.enumerated() {
            checkNotBlank(identifier.scheme, field: "identifiers[\(index)].scheme")
            checkNotBlank(identifier.value, field: "identifiers[\(index)].value")
            if identifier.scheme.containsWhitespace {
                add("identifiers[\(index)].scheme", "a scheme is a dotted name or a URI, without spaces")
            }
            if !seen.insert(identifier.scheme + "\u{0}" + identifier.value).inserted {
                add("identifiers[\(index)]", "the same identifier is listed twice")
            }
        }
    }

    mutating func checkName(_ name: PersonName, field: String) {
        let parts = [name.given, name.middle, name.family, name.commonlyUsed, name.birthName].compactMap { $0 }
        if parts.isEmpty && name.aliases.isEmpty { add(field, "a name needs at least one part") }
        checkBlankIfPresent(name.given, field: field + ".given")
        checkBlankIfPresent(name.family, field: field + ".family")
        if let script = name.script, !(script.count == 4 && script.allSatisfy(\.isLetter)) {
            add(field + ".script", "not an ISO 15924 script code")
        }
    }

    mutating func checkPlace(_ place: Place?, field: String) {
        guard let place else { return }
        checkCode(place.country, list: ISOCodeTables.countryListName, field: field + ".country")
        if place.text == nil && place.country == nil && place.adminCode == nil { add(field, "a place needs a part") }
    }

    mutating func checkContacts(_ contacts: [Contact]) {
        for (index, contact) in contacts.enumerated() {
            let field = "contacts[\(index)]"
            checkCode(contact.kind, list: "contact-kind", field: field + ".kind")
            switch contact.kind {
            case "phone":
                let digits = contact.value.filter(\.isASCIINumber)
                let allowed = contact.value.allSatisfy { $0.isASCIINumber || " +-().".contains($0) }
                if !allowed || !(3...15).contains(digits.count) {
                    add(field + ".value", "a phone number has 3 to 15 digits and only + - ( ) . or spaces")
                } else if !contact.value.hasPrefix("+") {
                    add(field + ".value", "not in E.164 form (+country code)", severity: .warning)
                }
            case "email":
                let parts = contact.value.split(separator: "@", omittingEmptySubsequences: false)
                if parts.count != 2 || parts[0].isEmpty || !parts[1].contains(".") {
                    add(field + ".value", "not an e-mail address")
                }
            default: break
            }
        }
    }

    mutating func checkLocation(_ location: Location?, field: String) {
        guard let location else { return }
        var levels = Set<Int>()
        for (index, level) in location.levels.enumerated() {
            if !(1...6).contains(level.level) { add("\(field).levels[\(index)].level", "must be between 1 and 6") }
            if !levels.insert(level.level).inserted { add("\(field).levels[\(index)].level", "level given twice") }
            if level.code == nil && level.name == nil { add("\(field).levels[\(index)]", "needs a code or a name") }
        }
    }

    /// Extension namespaces are dotted lower-case names such as `unhcr.progres` or `unicef.primero`.
    mutating func checkExtensions(_ extensions: [String: [String: JSONValue]]) {
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
