import PrimesModel

/// The SCOPE exchange layout v1 as CSV: a header row, then one row per household member.
public enum ScopeCSVFormat {
    public static var format: RecordFormat {
        RecordFormat(
            name: "scope-csv",
            summary: "WFP SCOPE exchange layout v1 as CSV, one row per household member",
            mediaType: "text/csv",
            defaultMapping: "scope/scope-exchange-v1.yaml",
            makeReader: { source, context in
                try ScopeCSVReader(
                    source: source, mapping: ScopeMapping.load(for: Self.format, in: context), context: context)
            },
            makeWriter: { sink, context in
                try ScopeCSVWriter(sink: sink, mapping: ScopeMapping.load(for: Self.format, in: context))
            }
        )
    }
}

/// Reads SCOPE CSV rows, finding each mapped column by its name in the header row.
///
/// A household's rows are gathered as bytes. In a conversion to canonical, a household that passes every
/// check on its bytes is written straight as NDJSON by `ScopeDirectEncoder`; any other (an unknown code, a
/// disagreement between rows, a warning, text that is not ASCII) is turned into `ScopeRow`s and takes the
/// general path, which names each problem. Both ways give the same records, byte for byte.
public final class ScopeCSVReader: ReadAheadRecordReader, CanonicalLinesReader {
    private let csv: CSVReader
    private let sourceName: String
    private let mapping: ScopeMapping
    private let decoder: ScopeRowDecoder
    private let receivedAt: String
    private var assembler: ScopeHouseholdAssembler
    /// For each CSV column, the layout field it carries, or nil for a column the mapping does not name.
    private var fieldOfColumn: [ScopeField?] = []
    private var header: [String] = []
    private var headerRead = false
    /// The column of the household id, which tells where one household's rows end.
    private var householdIdColumn = 0
    /// The rows of the household `next()` hands out.
    private var household = RawRows()
    /// The first row of the next household, met while gathering the one before.
    private var lookahead = RawRows()
    private var exhausted = false
    /// The items of the household `next()` hands out, last one first.
    private var pending: [ReadItem] = []
    private var direct: ScopeDirectEncoder?
    /// An error met after the households of the block being read, thrown at the next call.
    private var pendingError: (any Error)?
    /// Where the direct path writes a block's lines before they become one array.
    private var scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 1024 * 1024)
    private var scratchCapacity = 1024 * 1024

    init(source: any ByteSource, mapping: ScopeMapping, context: ConversionContext) throws {
        self.mapping = mapping
        sourceName = source.name
        receivedAt = context.receivedAt
        csv = CSVReader(source: source, maximumLineLength: mapping.maximumLineLength)
        decoder = ScopeRowDecoder(
            mapping: mapping, formatName: ScopeCSVFormat.format.name, receivedAt: context.receivedAt)
        assembler = ScopeHouseholdAssembler(decoder: decoder)
    }

    deinit {
        scratch.deallocate()
    }

    public func next() throws -> ReadItem? {
        try readHeaderOnce()
        while pending.isEmpty {
            household.removeAll()
            guard try gatherHousehold(into: &household) else { return nil }
            generalItems(household, household.rows.indices, into: &pending)
            pending.reverse()
        }
        return pending.popLast()
    }

    public func nextBlock() throws -> ScopeRowBlock? {
        if let pendingError {
            self.pendingError = nil
            throw pendingError
        }
        try readHeaderOnce()
        var block = RawRows()
        block.bytes.reserveCapacity(Self.blockSize + 4096)
        do {
            while block.bytes.count < Self.blockSize, try gatherHousehold(into: &block) {}
        } catch {
            // the households read before the error are converted first, as one thread would have done
            guard !block.households.isEmpty else { throw error }
            pendingError = error
        }
        return block.households.isEmpty ? nil : ScopeRowBlock(rows: block)
    }

    public func lines(from rowBlock: ScopeRowBlock, validatingWith codeLists: CanonicalCodeLists, encoding: Bool)
        -> [CanonicalLines]
    {
        let block = rowBlock.rows
        if direct == nil {
            direct = ScopeDirectEncoder(
                mapping: mapping, header: header, fieldOfColumn: fieldOfColumn, codeLists: codeLists,
                provenance: Provenance(
                    system: mapping.sourceSystem, format: ScopeCSVFormat.format.name, formatVersion: "1",
                    receivedAt: receivedAt))
        }
        guard var direct else { return [] }
        self.direct = nil  // so that the copy being used is the only one and its buffers are not copied
        defer { self.direct = direct }
        var parts: [CanonicalLines] = []
        var part = CanonicalLines()
        var used = 0
        for rows in block.households {
            let size = encoding ? direct.size(of: rows, in: block) : 0
            if used + size > scratchCapacity { growScratch(to: used + size, keeping: used) }
            var cursor = JSONByteCursor(start: scratch + used, count: scratchCapacity - used)
            if let records = direct.encode(block, rows, ledger: &assembler.ledger, into: &cursor, encoding: encoding) {
                part.recordCount += records
                used = scratchCapacity - cursor.room
                continue
            }
            generalItems(block, rows, into: &part.items)
            if !part.items.isEmpty {
                part.lines = Array(UnsafeBufferPointer(start: scratch, count: used))
                parts.append(part)
                part = CanonicalLines()
                used = 0
            }
        }
        if part.recordCount > 0 {
            part.lines = Array(UnsafeBufferPointer(start: scratch, count: used))
            parts.append(part)
        }
        return parts
    }

    private func growScratch(to size: Int, keeping used: Int) {
        let capacity = max(size, 2 * scratchCapacity)
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        larger.update(from: scratch, count: used)
        scratch.deallocate()
        scratch = larger
        scratchCapacity = capacity
    }

    /// How many bytes of rows one block of `nextBlock` holds, besides its last household.
    private static let blockSize = 128 * 1024

    // MARK: - Rows

    private func readHeaderOnce() throws {
        guard !headerRead else { return }
        headerRead = true
        guard try csv.nextRow() else {
            throw InputError.malformed(RecordLocation(source: sourceName, line: 1), reason: "no header row")
        }
        let location = RecordLocation(source: sourceName, line: csv.rowLine)
        for index in 0..<csv.fieldCount {
            guard let name = csv.text(index) else {
                throw InputError.malformed(location, reason: "header column \(index + 1) is not valid UTF-8")
            }
            header.append(name)
        }
        var byName: [String: ScopeField] = [:]
        for column in mapping.columns { byName[column.column] = column.field }
        var seen = Set<String>()
        for name in header where !seen.insert(name).inserted {
            throw InputError.malformed(location, reason: "header names column \(name) twice")
        }
        fieldOfColumn = header.map { byName[$0] }
        let missing = mapping.columns.filter { $0.required && !header.contains($0.column) }.map(\.column)
        if !missing.isEmpty {
            throw InputError.malformed(
                location,
                reason:
                    "header lacks the required column(s) \(missing.joined(separator: ", ")) of mapping \(mapping.name)"
            )
        }
        householdIdColumn = fieldOfColumn.firstIndex(of: .householdId) ?? 0
    }

    /// Appends the rows of the next household to `block`, with the unreadable rows among them; false at the end
    /// of the input. The rows of a household are those up to the next readable row with another household id;
    /// an unreadable row does not split a household.
    private func gatherHousehold(into block: inout RawRows) throws -> Bool {
        let firstRow = block.rows.count
        var readable = 0
        var firstReadable: RawRows.Row?
        if let row = lookahead.rows.first {
            block.append(row, of: lookahead, fieldCount: header.count)
            lookahead.removeAll()
            readable = 1
            firstReadable = block.rows.last
        }
        while !exhausted {
            guard try csv.nextRow() else {
                exhausted = true
                break
            }
            let line = csv.rowLine
            if let problems = rowProblems() {
                block.rows.append(RawRows.Row(line: line, start: 0, firstEnd: -1, isASCII: true, problems: problems))
                continue
            }
            if let firstReadable, !sameHousehold(as: firstReadable, of: block) {
                lookahead.append(csv, line: line)
                break
            }
            // one household's rows are held together: bound them so that memory stays bounded too
            if readable == mapping.maximumHouseholdRows {
                throw InputError.malformed(
                    RecordLocation(source: sourceName, line: line),
                    reason: "a household has more than \(readable) member rows (setting maximumHouseholdRows)"
                )
            }
            block.append(csv, line: line)
            readable += 1
            if firstReadable == nil { firstReadable = block.rows.last }
        }
        guard block.rows.count > firstRow else { return false }
        block.households.append(firstRow..<block.rows.count)
        return true
    }

    /// What makes the current row unreadable as a whole, or nil when it can be read.
    private func rowProblems() -> [FieldIssue]? {
        if let problem = csv.problem { return [FieldIssue(field: "row", rule: problem.description)] }
        guard csv.fieldCount == header.count else {
            return [FieldIssue(field: "row", rule: "has \(csv.fieldCount) fields; the header has \(header.count)")]
        }
        let ascii = csv.withRow { bytes, _ in RawRows.isASCII(bytes) }
        if ascii { return nil }
        var problems: [FieldIssue] = []
        for index in 0..<header.count where csv.text(index) == nil {
            problems.append(FieldIssue(field: header[index], rule: "not valid UTF-8"))
        }
        return problems.isEmpty ? nil : problems
    }

    /// Whether the current row has the household id of the household's first readable row, compared as the
    /// general path compares it: as text, after undoing formula neutralisation.
    private func sameHousehold(as first: RawRows.Row, of block: RawRows) -> Bool {
        let column = householdIdColumn
        let same = block.withField(first, column) { firstId in
            csv.withField(column) { id -> Bool? in
                if RawRows.same(firstId, id) { return true }
                let plain = { (bytes: UnsafeBufferPointer<UInt8>) in
                    RawRows.isASCII(bytes) && bytes.first != UInt8(ascii: "'")
                }
                if plain(firstId) && plain(id) { return false }
                return nil
            }
        }
        if let same { return same }
        return block.text(first, column) == Self.text(csv.withField(column) { Array($0) })
    }

    /// The items of one household by the general path: its records and rejections, then its unreadable rows.
    private func generalItems(_ block: RawRows, _ household: Range<Int>, into items: inout [ReadItem]) {
        var rows: [ScopeRow] = []
        for raw in block.rows[household] where raw.problems.isEmpty {
            var row = ScopeRow(location: RecordLocation(source: sourceName, line: raw.line))
            for index in 0..<header.count {
                guard let text = block.text(raw, index) else { continue }
                if let field = fieldOfColumn[index] {
                    row[field] = text
                } else {
                    row.unmapped.append((header[index], text))
                }
            }
            rows.append(row)
        }
        if !rows.isEmpty { assembler.assemble(rows, into: &items) }
        for raw in block.rows[household] where !raw.problems.isEmpty {
            let location = RecordLocation(source: sourceName, line: raw.line)
            items.append(.rejected(RecordRejection(location: location, issues: raw.problems)))
        }
    }

    /// A field's text as the general path reads it: nil when empty, without a neutralising apostrophe.
    static func text(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBufferPointer { RawRows.text($0) }
    }
}

/// Households of SCOPE CSV rows as `ScopeCSVReader` reads them on its own thread.
public struct ScopeRowBlock: Sendable {
    var rows: RawRows
}

/// Writes SCOPE CSV: the header from the mapping's column names, then one row per member.
public final class ScopeCSVWriter: RecordWriter {
    private let csv: CSVWriter
    private var encoder: ScopeRowEncoder
    private let order: [ScopeField]
    private let header: [String]
    private var wroteHeader = false

    init(sink: any ByteSink, mapping: ScopeMapping) {
        csv = CSVWriter(sink: sink, neutralizesFormulas: mapping.neutralizesFormulas)
        encoder = ScopeRowEncoder(mapping: mapping)
        order = mapping.columns.map(\.field)
        header = mapping.columns.map(\.column)
    }

    public func write(_ record: CanonicalRecord, from location: RecordLocation) throws -> WriteNotes {
        if !wroteHeader {
            try csv.row(header)
            wroteHeader = true
        }
        switch record {
        case .group(let group):
            return try encoder.enter(group, at: location)
        case .person(let person):
            let (values, notes) = try encoder.row(for: person, at: location)
            for field in order { csv.field(values[field.rawValue]) }
            try csv.endRow()
            return notes
        }
    }

    public func finish() throws {
        if !wroteHeader { try csv.row(header) }
        try csv.flush()
    }
}
