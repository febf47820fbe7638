import Adapters
import PrimesModel
import TestSupport
import Testing

@Suite("Running a conversion")
struct ConversionTests {
    /// A writer that refuses groups, to show writer rejections are reported and do not stop the run.
    final class PersonsOnlyWriter: RecordWriter {
        var written: [CanonicalRecord] = []
        func write(_ record: CanonicalRecord, from location: RecordLocation) throws -> WriteNotes {
            if case .group = record {
                throw RecordRejection(location: location, field: "recordType", rule: "groups not taken")
            }
            written.append(record)
            return WriteNotes(notHeld: ["relationships"])
        }
        func finish() throws {}
    }

    @Test("counts records, reports every rejection with its reason, and keeps going")
    func report() throws {
        let input = """
            {"recordType":"group","id":"TST-26-000001"}
            {"recordType":"person","id":"TST-00001","relationships":[{"type":"child","ref":"TST-00002"}]}
            {"recordType":"person","id":"TST-00002","sex":"F"}
            {"recordType":"person","id":"TST-00003","contacts":[{"kind":"phone","value":"0700000000"}]}
            not json
            """
        let writer = PersonsOnlyWriter()
        var report = ConversionReport(from: "canonical", to: "test")
        try Conversion(validator: TestEnvironment.adapters.validator).run(
            reader: CanonicalReader(source: MemoryInput(input, name: "in.ndjson")),
            writer: writer,
            report: &report
        )
        #expect(report.recordsIn == 5)
        #expect(report.recordsOut == 2)
        #expect(report.rejectedCount == 3)
        #expect(report.rejected.map(\.location.line) == [1, 3, 5])
        #expect(report.rejected[1].issues.map(\.field) == ["sex"])
        #expect(report.warningCount == 1)
        #expect(report.notHeldByTarget == ["relationships": 2])
        #expect(writer.written.count == 2)
    }

    @Test("the report keeps full details only up to its limit, and counts everything")
    func detailLimit() {
        var report = ConversionReport(from: "a", to: "b")
        for line in 1...(ConversionReport.detailLimit + 5) {
            report.reject(RecordRejection(location: RecordLocation(source: "x", line: line), field: "f", rule: "r"))
        }
        #expect(report.rejectedCount == ConversionReport.detailLimit + 5)
        #expect(report.rejected.count == ConversionReport.detailLimit)
    }
}
