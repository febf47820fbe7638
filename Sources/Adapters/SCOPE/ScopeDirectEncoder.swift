import PrimesModel

/// Checks one household of SCOPE CSV rows on their bytes and, when the general path would accept every one
/// of its records without a problem or a warning, writes them as canonical NDJSON: the group record, then the
/// members, byte for byte what decoding, validating and `CanonicalWriter` give.
///
/// It vouches only for what it can tell on bytes: ASCII text, codes found in the mapping's lists, dates in
/// the layout's form, rows that agree. Anything else (including every problem the general path would report)
/// makes `encode` return nil, and the household takes the general path, which names each problem. A mapping
/// or header it cannot follow (unmapped columns, a case-insensitive code list) turns it off.
struct ScopeDirectEncoder {
    /// A code list of the mapping as bytes, with each code's canonical code and whether the validator has it.
    struct CodeTable {
        struct Entry {
            var code: [UInt8]
            var canonical: String
            /// `canonical` as a JSON string, quotes included.
            var canonicalJSON: [UInt8]
            /// Whether the validator's canonical list holds `canonical` (always true for a list it does not check).
            var valid: Bool
            var isSelf: Bool { canonical == "self" }
        }

        var entries: [Entry] = []

        /// nil for a case-insensitive list, whose codes do not compare as bytes.
        init?(_ list: CodeListMapping, canonicalList: CodeList?, checked: Bool) {
            guard !list.caseInsensitive else { return nil }
            for entry in list.entries where !entry.writeOnly {
                let valid = !checked || canonicalList?.contains(entry.canonical) == true
                var json = CanonicalJSONOutput()
                json.string(entry.canonical)
                let code = Array(entry.code.utf8)
                entries.append(Entry(code: code, canonical: entry.canonical, canonicalJSON: json.bytes, valid: valid))
            }
        }

        /// The entry of a code, found by comparing bytes.
        func find(_ code: UnsafeBufferPointer<UInt8>) -> Int? {
            for (index, entry) in entries.enumerated() where entry.code.count == code.count {
                if entry.code.withUnsafeBufferPointer({ RawRows.same($0, code) }) { return index }
            }
            return nil
        }
    }

    /// What the checks learned of one member row, for writing it.
    private struct Member {
        var role: Int
        var sex: Int?
        var estimated: Bool
        var principal: Bool
        var alternate: Bool
        var focalPoint: Bool
    }

    private let enabled: Bool
    /// The CSV column of each layout field (by `ScopeField.rawValue`), -1 when the header lacks it.
    private let column: [Int]
    private let columnCount: Int
    /// The columns of the household's fields, which must agree on every row.
    private let householdColumns: [Int]
    private let requiredHouseholdColumns: [Int]
    private let requiredMemberColumns: [Int]
    private let residenceStatus: CodeTable?
    private let vulnerabilityRating: CodeTable?
    private let householdRole: CodeTable?
    private let sex: CodeTable?
    private let recipientRole: CodeTable?
    /// Whether a member's role code is what writing would give back for its relationship and sex, by role
    /// entry and sex entry (position 0 for no sex); when not, the general path keeps the code in extensions.
    private let roleRoundTrips: [[Bool]]
    private let countries: CodeList?
    private let locationLevel: Int
    /// `"provenance":{…}` as every record of the run has it.
    private let provenance: [UInt8]
    private let beneficiaryScheme: [UInt8]
    private let scopeScheme: [UInt8]
    /// The most bytes a record can take besides six times its row's bytes.
    private let recordOverhead: Int
    private var members: [Member] = []
    /// Nationality codes already found in the country list, so that most rows need no lookup by text.
    private var knownNationalities: [[UInt8]] = []

    init(
        mapping: ScopeMapping,
        header: [String],
        fieldOfColumn: [ScopeField?],
        codeLists: CanonicalCodeLists,
        provenance: Provenance
    ) {
        var column = [Int](repeating: -1, count: ScopeField.allCases.count)
        for (index, field) in fieldOfColumn.enumerated() {
            if let field { column[field.rawValue] = index }
        }
        self.column = column
        columnCount = header.count
        let present = ScopeField.allCases.filter { column[$0.rawValue] >= 0 }
        householdColumns = present.filter(\.isHousehold).map { column[$0.rawValue] }
        let required = present.filter { mapping[$0]?.required == true }
        requiredHouseholdColumns = required.filter(\.isHousehold).map { column[$0.rawValue] }
        requiredMemberColumns = required.filter { !$0.isHousehold }.map { column[$0.rawValue] }
        residenceStatus = CodeTable(
            mapping.residenceStatus, canonicalList: codeLists["residence-status"], checked: true)
        vulnerabilityRating = CodeTable(
            mapping.vulnerabilityRating, canonicalList: codeLists["vulnerability-rating"], checked: true)
        let householdRole = CodeTable(
            mapping.householdRole, canonicalList: codeLists["relationship-type"], checked: true)
        let sex = CodeTable(mapping.sex, canonicalList: codeLists["sex"], checked: true)
        self.householdRole = householdRole
        self.sex = sex
        recipientRole = CodeTable(mapping.recipientRole, canonicalList: nil, checked: false)
        roleRoundTrips = (householdRole?.entries ?? []).map { role in
            ([nil] + (sex?.entries ?? []).map { Optional($0.canonical) }).map { sexCode in
                mapping.householdRoleCode(relationship: role.canonical, sex: sexCode)
                    == String(decoding: role.code, as: UTF8.self)
            }
        }
        countries = codeLists[ISOCodeTables.countryListName]
        locationLevel = mapping.locationLevel

        var output = CanonicalJSONOutput()
        output.literal("\"provenance\":")
        output.write(provenance)
        self.provenance = output.bytes
        output.bytes = []
        output.string(mapping.beneficiaryScheme)
        beneficiaryScheme = output.bytes
        output.bytes = []
        output.string(mapping.scopeScheme)
        scopeScheme = output.bytes
        let tables = [residenceStatus, vulnerabilityRating, householdRole, sex, recipientRole]
        let longestCanonical = tables.flatMap { $0?.entries ?? [] }.map(\.canonicalJSON.count).max() ?? 0
        recordOverhead =
            2048 + self.provenance.count + beneficiaryScheme.count + scopeScheme.count + 4 * longestCanonical

        // What the validator would flag in every record, or what only the general path keeps, turns this off.
        let schemesWellFormed = [mapping.beneficiaryScheme, mapping.scopeScheme].allSatisfy { scheme in
            !scheme.isEmpty && scheme.utf8.allSatisfy { $0 > 0x20 && $0 < 0x80 }
        }
        enabled =
            !fieldOfColumn.contains(nil) && householdRole != nil && schemesWellFormed
            && mapping.beneficiaryScheme != mapping.scopeScheme && codeLists["contact-kind"]?.contains("phone") == true
            && (1...6).contains(mapping.locationLevel)
    }

    /// The most bytes `encode` can write for `household`: each byte of a row is written at most four times
    /// (as the group's field, as a member, as the person's field and again as its `ref`), escaped to at most six.
    func size(of household: Range<Int>, in block: RawRows) -> Int {
        var bytes = 0
        for row in block.rows[household] where row.problems.isEmpty {
            bytes += block.range(row, columnCount - 1).upperBound - row.start
        }
        return (household.count + 1) * recordOverhead + 24 * bytes
    }

    /// Writes the household's records (when `encoding`) and returns how many there are, or returns nil and
    /// writes nothing when the household must take the general path. `output` has room for `size(of:in:)`.
    mutating func encode(
        _ block: RawRows,
        _ household: Range<Int>,
        ledger: inout HouseholdLedger,
        into output: inout JSONByteCursor,
        encoding: Bool
    ) -> Int? {
        guard enabled, block.rows[household].allSatisfy({ $0.problems.isEmpty && $0.isASCII }) else { return nil }
        return block.bytes.withUnsafeBufferPointer { bytes in
            encode(block, block.rows[household], bytes, ledger: &ledger, into: &output, encoding: encoding)
        }
    }

    private mutating func encode(
        _ household: RawRows,
        _ rows: ArraySlice<RawRows.Row>,
        _ bytes: UnsafeBufferPointer<UInt8>,
        ledger: inout HouseholdLedger,
        into output: inout JSONByteCursor,
        encoding: Bool
    ) -> Int? {
        let base = rows.startIndex
        func cell(_ row: Int, column index: Int) -> UnsafeBufferPointer<UInt8> {
            guard index >= 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
            return UnsafeBufferPointer(rebasing: bytes[household.range(rows[base + row], index)])
        }
        func cell(_ row: Int, _ field: ScopeField) -> UnsafeBufferPointer<UInt8> {
            cell(row, column: column[field.rawValue])
        }
        guard let householdRole else { return nil }

        // a neutralised cell reads back without its apostrophe: leave that to the general path
        guard !rows.contains(where: \.hasCellStartingWithApostrophe) else { return nil }

        // the household's fields, from its first row
        for index in requiredHouseholdColumns where cell(0, column: index).isEmpty { return nil }
        let householdId = cell(0, .householdId)
        guard Self.isNotBlank(householdId) else { return nil }
        var size: Int?
        let sizeText = cell(0, .householdSize)
        if !sizeText.isEmpty {
            guard sizeText.count <= 18, sizeText.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            let value = sizeText.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            // a size other than the member count is a warning, which the general path reports
            guard value == rows.count else { return nil }
            size = value
        }
        var residence: Int?
        if !cell(0, .residenceStatus).isEmpty {
            guard let entry = entry(cell(0, .residenceStatus), in: residenceStatus) else { return nil }
            residence = entry
        }
        var vulnerability: Int?
        if !cell(0, .vulnerabilityRating).isEmpty {
            guard let entry = entry(cell(0, .vulnerabilityRating), in: vulnerabilityRating) else { return nil }
            vulnerability = entry
        }
        let arrival = cell(0, .arrivalDate)
        guard arrival.isEmpty || Self.dateIsValid(arrival) else { return nil }

        // each member
        members.removeAll(keepingCapacity: true)
        var heads = 0
        for row in 0..<rows.count {
            if row > 0 {
                for index in householdColumns where !RawRows.same(cell(row, column: index), cell(0, column: index)) {
                    return nil
                }
            }
            for index in requiredMemberColumns where cell(row, column: index).isEmpty { return nil }
            let key = cell(row, .beneficiaryUniqueId)
            guard Self.isNotBlank(key) else { return nil }
            for earlier in 0..<row where RawRows.same(cell(earlier, .beneficiaryUniqueId), key) { return nil }
            let scopeId = cell(row, .scopeId)
            let family = cell(row, .lastName)
            let given = cell(row, .firstName)
            guard scopeId.isEmpty || Self.isNotBlank(scopeId), family.isEmpty || Self.isNotBlank(family),
                given.isEmpty || Self.isNotBlank(given)
            else { return nil }

            guard let role = householdRole.find(cell(row, .householdRole)), householdRole.entries[role].valid else {
                return nil
            }
            let focalPoint = householdRole.entries[role].isSelf
            if focalPoint { heads += 1 }
            var sexEntry: Int?
            if !cell(row, .sex).isEmpty {
                guard let entry = entry(cell(row, .sex), in: sex) else { return nil }
                sexEntry = entry
            }
            guard roleRoundTrips[role][(sexEntry ?? -1) + 1] else { return nil }

            var estimated = false
            let estimatedText = cell(row, .dateOfBirthEstimated)
            switch estimatedText.count {
            case 0: break
            case 1 where estimatedText[0] == UInt8(ascii: "N"): break
            case 1 where estimatedText[0] == UInt8(ascii: "Y"): estimated = true
            default: return nil
            }
            let birth = cell(row, .dateOfBirth)
            if birth.isEmpty {
                guard estimatedText.isEmpty else { return nil }
            } else {
                guard Self.dateIsValid(birth) else { return nil }
            }

            let nationality = cell(row, .nationality)
            if !nationality.isEmpty
                && !knownNationalities.contains(where: {
                    $0.withUnsafeBufferPointer { known in RawRows.same(known, nationality) }
                })
            {
                let code = String(decoding: nationality, as: UTF8.self)
                if code != "stateless" && code != "unknown" {
                    guard countries?.contains(code) == true else { return nil }
                }
                if knownNationalities.count < 64 { knownNationalities.append(Array(nationality)) }
            }
            let phone = cell(row, .phoneNumber)
            guard phone.isEmpty || Self.isE164Phone(phone) else { return nil }

            var principal = false
            var alternate = false
            let recipient = cell(row, .recipientRole)
            if !recipient.isEmpty {
                guard let recipientRole, let entry = recipientRole.find(recipient) else { return nil }
                principal = recipientRole.entries[entry].canonical == "principal"
                alternate = recipientRole.entries[entry].canonical == "alternate"
            }
            members.append(
                Member(
                    role: role, sex: sexEntry, estimated: estimated, principal: principal, alternate: alternate,
                    focalPoint: focalPoint))
        }
        guard heads == 1 else { return nil }
        guard ledger.enter(utf8: householdId, line: rows[base].line) == nil else { return nil }
        guard encoding else { return rows.count + 1 }

        // the group record
        output.literal("{")
        if !arrival.isEmpty {
            output.literal("\"arrivalDate\":")
            date(arrival, estimated: false, into: &output)
            output.literal(",")
        }
        output.literal("\"id\":")
        output.string(householdId)
        location(cell(0, .location), cell(0, .address), into: &output)
        output.literal(",\"members\":[")
        for (row, member) in members.enumerated() {
            if row > 0 { output.literal(",") }
            output.literal("{\"alternateRecipient\":")
            output.boolean(member.alternate)
            output.literal(",\"focalPoint\":")
            output.boolean(member.focalPoint)
            output.literal(",\"principalRecipient\":")
            output.boolean(member.principal)
            output.literal(",\"ref\":")
            output.string(cell(row, .beneficiaryUniqueId))
            output.literal(",\"relationshipToFocalPoint\":")
            householdRole.entries[member.role].canonicalJSON.withUnsafeBufferPointer { output.raw($0) }
            output.literal("}")
        }
        output.literal("]")
        let name = cell(0, .householdName)
        if !name.isEmpty {
            output.literal(",\"name\":")
            output.string(name)
        }
        output.literal(",")
        provenance.withUnsafeBufferPointer { output.raw($0) }
        output.literal(",\"recordType\":\"group\"")
        let source = cell(0, .registrationSource)
        if !source.isEmpty {
            output.literal(",\"registrationSource\":")
            output.string(source)
        }
        if let residence, let residenceStatus {
            output.literal(",\"residenceStatus\":")
            residenceStatus.entries[residence].canonicalJSON.withUnsafeBufferPointer { output.raw($0) }
        }
        if let size {
            output.literal(",\"size\":")
            output.integer(size)
        }
        if let vulnerability, let vulnerabilityRating {
            output.literal(",\"vulnerabilityRating\":")
            vulnerabilityRating.entries[vulnerability].canonicalJSON.withUnsafeBufferPointer { output.raw($0) }
        }
        output.literal("}\n")

        // the person records
        for (row, member) in members.enumerated() {
            output.literal("{")
            let birth = cell(row, .dateOfBirth)
            if !birth.isEmpty {
                output.literal("\"birthDate\":")
                date(birth, estimated: member.estimated, into: &output)
                output.literal(",")
            }
            let phone = cell(row, .phoneNumber)
            if !phone.isEmpty {
                output.literal("\"contacts\":[{\"kind\":\"phone\",\"value\":")
                output.string(phone)
                output.literal("}],")
            }
            output.literal("\"group\":{\"alternateRecipient\":")
            output.boolean(member.alternate)
            output.literal(",\"focalPoint\":")
            output.boolean(member.focalPoint)
            output.literal(",\"id\":")
            output.string(householdId)
            output.literal(",\"principalRecipient\":")
            output.boolean(member.principal)
            output.literal(",\"relationshipToFocalPoint\":")
            householdRole.entries[member.role].canonicalJSON.withUnsafeBufferPointer { output.raw($0) }
            output.literal("},\"identifiers\":[{\"scheme\":")
            beneficiaryScheme.withUnsafeBufferPointer { output.raw($0) }
            output.literal(",\"value\":")
            let key = cell(row, .beneficiaryUniqueId)
            output.string(key)
            let scopeId = cell(row, .scopeId)
            if !scopeId.isEmpty {
                output.literal("},{\"scheme\":")
                scopeScheme.withUnsafeBufferPointer { output.raw($0) }
                output.literal(",\"value\":")
                output.string(scopeId)
            }
            output.literal("}]")
            location(cell(row, .location), cell(row, .address), into: &output)
            let family = cell(row, .lastName)
            let given = cell(row, .firstName)
            if !family.isEmpty || !given.isEmpty {
                output.literal(",\"name\":{")
                if !family.isEmpty {
                    output.literal("\"family\":")
                    output.string(family)
                    if !given.isEmpty { output.literal(",") }
                }
                if !given.isEmpty {
                    output.literal("\"given\":")
                    output.string(given)
                }
                output.literal("}")
            }
            let nationality = cell(row, .nationality)
            if !nationality.isEmpty {
                output.literal(",\"nationalities\":[")
                output.string(nationality)
                output.literal("]")
            }
            output.literal(",")
            provenance.withUnsafeBufferPointer { output.raw($0) }
            output.literal(",\"recordType\":\"person\",\"ref\":")
            output.string(key)
            if let sexEntry = member.sex, let sex {
                output.literal(",\"sex\":")
                sex.entries[sexEntry].canonicalJSON.withUnsafeBufferPointer { output.raw($0) }
            }
            output.literal("}\n")
        }
        return rows.count + 1
    }

    // MARK: - Parts

    /// `,"location":{…}` when the row has a location code or an address.
    private func location(
        _ code: UnsafeBufferPointer<UInt8>,
        _ address: UnsafeBufferPointer<UInt8>,
        into output: inout JSONByteCursor
    ) {
        guard !code.isEmpty || !address.isEmpty else { return }
        output.literal(",\"location\":{")
        if !address.isEmpty {
            output.literal("\"address\":")
            output.string(address)
            if !code.isEmpty { output.literal(",") }
        }
        if !code.isEmpty {
            output.literal("\"levels\":[{\"code\":")
            output.string(code)
            output.literal(",\"level\":")
            output.integer(locationLevel)
            output.literal("}]")
        }
        output.literal("}")
    }

    /// A date already checked by `dateIsValid`, whose text is its canonical value.
    private func date(_ text: UnsafeBufferPointer<UInt8>, estimated: Bool, into output: inout JSONByteCursor) {
        output.literal(estimated ? "{\"estimated\":true,\"precision\":" : "{\"estimated\":false,\"precision\":")
        switch text.count {
        case 4: output.literal("\"year\"")
        case 7: output.literal("\"month\"")
        default: output.literal("\"day\"")
        }
        output.literal(",\"value\":")
        output.string(text)
        output.literal("}")
    }

    /// The entry of a code, or nil when the list lacks it or the validator would reject its canonical code.
    private func entry(_ code: UnsafeBufferPointer<UInt8>, in table: CodeTable?) -> Int? {
        guard let table, let entry = table.find(code), table.entries[entry].valid else { return nil }
        return entry
    }

    /// Whether the text is not blank in the validator's sense, judged on its first byte as the validator's
    /// fast path does; text starting with a space or a control is left to the general path.
    private static func isNotBlank(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = text.first else { return false }
        return first > 0x20 && first < 0x80
    }

    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` naming a date that exists, as `ScopeRowDecoder.date` accepts it.
    static func dateIsValid(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        func number(_ start: Int, _ count: Int) -> Int? {
            var value = 0
            for index in start..<start + count {
                let digit = Int(text[index]) - 0x30
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        let dash = UInt8(ascii: "-")
        switch text.count {
        case 4:
            guard let year = number(0, 4) else { return false }
            return (try? PartialDate(year: year)) != nil
        case 7 where text[4] == dash:
            guard let year = number(0, 4), let month = number(5, 2) else { return false }
            return (try? PartialDate(year: year, month: month)) != nil
        case 10 where text[4] == dash && text[7] == dash:
            guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2) else { return false }
            return (try? PartialDate(year: year, month: month, day: day)) != nil
        default:
            return false
        }
    }

    /// A phone number the validator accepts without a warning: 3 to 15 digits, only `+ - ( ) .` and spaces
    /// besides, starting with `+`.
    static func isE164Phone(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard text.first == UInt8(ascii: "+") else { return false }
        var digits = 0
        for byte in text {
            switch byte {
            case 0x30...0x39: digits += 1
            case UInt8(ascii: " "), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "("), UInt8(ascii: ")"),
                UInt8(ascii: "."):
                break
            default: return false
            }
        }
        return (3...15).contains(digits)
    }
}
