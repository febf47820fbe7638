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
                    source: source, mapping: ScopeMapping.load(for: format, in: context), context: context)
            },
            makeWriter: { sink, context in
                try ScopeCSVWriter(sink: sink, mapping: ScopeMapping.load(for: format, in: context))
            }
        )
    }
}

/// Reads SCOPE CSV rows, finding each mapped column by its name in the header row.
public final class ScopeCSVReader: ReadAheadRecordReader {
    private let csv: CSVReader
    private var households: ScopeHouseholdReader?
    private let mapping: ScopeMapping
    private let decoder: ScopeRowDecoder
    /// For each CSV column, the layout field it carries, or nil for a column the mapping does not name.
    private var fieldOfColumn: [ScopeField?] = []
    private var header: [String] = []

    init(source: any ByteSource, mapping: ScopeMapping, context: ConversionContext) throws {
        self.mapping = mapping
        csv = CSVReader(source: source, maximumLineLength: mapping.maximumLineLength)
        decoder = ScopeRowDecoder(
            mapping: mapping, formatName: ScopeCSVFormat.format.name, receivedAt: context.receivedAt)
    }

    public func next() throws -> ReadItem? {
        if households == nil {
            try readHeader()
            households = ScopeHouseholdReader(decoder: decoder) { [unowned self] in try self.nextRow() }
        }
        return try households?.next()
    }

    private func readHeader() throws {
        guard try csv.nextRow() else {
            throw InputError.malformed(RecordLocation(source: csv.source.name, line: 1), reason: "no header row")
        }
        let location = RecordLocation(source: csv.source.name, line: csv.rowLine)
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
    }

    private func nextRow() throws -> ScopeRow? {
        guard try csv.nextRow() else { return nil }
        var row = ScopeRow(location: RecordLocation(source: csv.source.name, line: csv.rowLine))
        if let problem = csv.problem {
            row.problems.append(FieldIssue(field: "row", rule: problem.description))
            return row
        }
        guard csv.fieldCount == header.count else {
            row.problems.append(
                FieldIssue(field: "row", rule: "has \(csv.fieldCount) fields; the header has \(header.count)"))
            return row
        }
        for index in 0..<header.count {
            let (empty, apostrophe) = csv.withField(index) { ($0.isEmpty, $0.first == UInt8(ascii: "'")) }
            if empty { continue }
            guard var text = csv.text(index) else {
                row.problems.append(FieldIssue(field: header[index], rule: "not valid UTF-8"))
                continue
            }
            if apostrophe { text = CSVWriter.unneutralized(text) }
            if let field = fieldOfColumn[index] {
                row[field] = text
            } else {
                row.unmapped.append((header[index], text))
            }
        }
        return row
    }
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
