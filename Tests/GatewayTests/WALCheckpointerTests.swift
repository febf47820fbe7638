import Foundation
import TestSupport
import Testing

@testable import Gateway

@Suite struct WALCheckpointerTests {
    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// Commits go to the WAL; with the writer's own threshold far away, only the background checkpoint can
    /// bring their pages into the database file.
    @Test func committedPagesReachTheDatabaseFileWithoutTheWriterCheckpointing() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("outbox.sqlite")
        let store = try SQLiteOutboxStore(path: path)
        let before = Self.fileSize(path)
        for index in 0..<100 {
            _ = try store.enqueue(GroupCommitTests.batch("b\(index)", records: 10))
        }
        #expect(Self.fileSize(path + "-wal") > 0)

        let deadline = Date().addingTimeInterval(10)
        while Self.fileSize(path) <= before && Date() < deadline { usleep(20_000) }
        #expect(Self.fileSize(path) > before)
        #expect(try store.counts() == [DeliveryCount(destination: "a", state: .queued, count: 1000)])
    }
}
