import Adapters
import Foundation
import PrimesModel
import TestSupport
import Testing

/// Runs the SCOPE readers and writers in process, as `Conversion` does for the CLI.
enum ScopeHarness {
    static let header =
        "household_id,household_name,household_size,residence_status,vulnerability_rating,arrival_date,"
        + "registration_source,location,address,beneficiary_unique_id,scope_id,last_name,first_name,household_role,"
        + "sex,date_of_birth,date_of_birth_estimated,nationality,phone_number,recipient_role"

    static var fixture: String { RepositoryPaths.fixture("scope/households.csv") }

    static func context(mapping: String? = nil) -> ConversionContext {
        TestEnvironment.adapters.context(mappingOverride: mapping)
    }

    /// Every item a reader of `format` yields for `bytes`.
    static func read(
        _ bytes: [UInt8], format: String = "scope-csv", name: String = "t.csv", mapping: String? = nil
    ) throws -> [ReadItem] {
        let format = try TestEnvironment.adapters.registry.reader(named: format)
        let makeReader = try #require(format.makeReader)
        let reader = try makeReader(MemoryInput(bytes, name: name), context(mapping: mapping))
        var items: [ReadItem] = []
        while let item = try reader.next() { items.append(item) }
        return items
    }

    static func read(_ text: String, format: String = "scope-csv", mapping: String? = nil) throws -> [ReadItem] {
        try read(Array(text.utf8), format: format, mapping: mapping)
    }

    /// Converts `bytes` from one format to another through `Conversion`, returning the output and the report.
    static func convert(
        _ bytes: [UInt8], from: String, to: String, name: String = "t", mapping: String? = nil
    ) throws -> (output: String, report: ConversionReport) {
        let environment = TestEnvironment.adapters
        let context = context(mapping: mapping)
        let makeReader = try #require(try environment.registry.reader(named: from).makeReader)
        let reader = try makeReader(MemoryInput(bytes, name: name), context)
        let sink = MemoryOutput()
        let makeWriter = try #require(try environment.registry.writer(named: to).makeWriter)
        let writer = try makeWriter(sink, context)
        var report = ConversionReport(from: from, to: to)
        try Conversion(validator: environment.validator).run(reader: reader, writer: writer, report: &report)
        return (sink.text, report)
    }

    static func fixtureBytes() throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: fixture)))
    }

    /// A CSV of the v1 layout with `rows` after the header.
    static func csv(_ rows: [String]) -> String {
        ([header] + rows).map { $0 + "\r\n" }.joined()
    }

    /// A member row: the household's nine columns, then the member's eleven.
    static func row(
        household: String = "H-1", name: String = "Household One", size: String = "2", location: String = "LOC-1",
        member: String, last: String = "Family", role: String = "HEAD", sex: String = "F", recipient: String = "NONE"
    ) -> String {
        "\(household),\(name),\(size),REFUGEE,VULNERABLE,2024-01-02,survey,\(location),,"
            + "\(member),,\(last),Given,\(role),\(sex),1990,Y,SSD,,\(recipient)"
    }
}

extension ReadItem {
    var record: CanonicalRecord? {
        if case .record(let source) = self { return source.record }
        return nil
    }

    var source: SourceRecord? {
        if case .record(let source) = self { return source }
        return nil
    }

    var rejection: RecordRejection? {
        if case .rejected(let rejection) = self { return rejection }
        return nil
    }
}

extension CanonicalRecord {
    var person: Person? {
        if case .person(let person) = self { return person }
        return nil
    }

    var group: RegistrationGroup? {
        if case .group(let group) = self { return group }
        return nil
    }
}
