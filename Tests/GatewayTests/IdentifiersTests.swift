import Foundation
import Testing

@testable import Gateway

@Suite struct IdentifiersTests {
    static func isUUIDText(_ text: String, version: Character) -> Bool {
        let characters = Array(text)
        guard characters.count == 36 else { return false }
        for (index, character) in characters.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard character == "-" else { return false }
            } else {
                guard character.isHexDigit, !character.isUppercase else { return false }
            }
        }
        return characters[14] == version && "89ab".contains(characters[19])
    }

    @Test func batchIdsAreVersion7UUIDsThatSortByTime() throws {
        let start = Date(timeIntervalSince1970: 1_796_300_000.123)
        // Two milliseconds apart: ids made within the same millisecond are ordered only by their random bits.
        let ids = (0..<200).map { Identifiers.timeOrdered(now: start.addingTimeInterval(Double($0) * 0.002)) }
        #expect(ids.allSatisfy { Self.isUUIDText($0, version: "7") })
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
        // The first 48 bits are the milliseconds since 1970.
        let first = try #require(ids.first)
        let hex = first.replacingOccurrences(of: "-", with: "").prefix(12)
        #expect(UInt64(hex, radix: 16) == 1_796_300_000_123)
        #expect(Ingestor.newBatchId().hasPrefix("b-"))
        #expect(Self.isUUIDText(String(Ingestor.newBatchId().dropFirst(2)), version: "7"))
    }

    @Test func requestIdsAreRandomVersion4UUIDs() {
        let ids = (0..<1000).map { _ in Identifiers.random() }
        #expect(ids.allSatisfy { Self.isUUIDText($0, version: "4") })
        #expect(Set(ids).count == ids.count)
    }

    @Test func thePoolHandsOutEachRandomByteOnceAcrossRefills() {
        let pool = RandomPool()
        // 1,000 draws of 16 bytes use the 4 KiB buffer almost four times over.
        let draws = (0..<1000).map { _ in pool.take16() }
        #expect(draws.allSatisfy { $0.count == 16 })
        #expect(Set(draws).count == draws.count)
        // Bytes from a real generator: every value of a byte turns up in 16,000 of them.
        #expect(Set(draws.joined()).count == 256)
    }
}
