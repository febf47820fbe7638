import Foundation
import PrimesLogging
import PrimesModel
import TestSupport
import Testing

@testable import Gateway

/// Payloads encrypted at rest: what the store file or server holds, and what a worker gets back.
@Suite struct PayloadSealTests {
    static let key = [UInt8](repeating: 7, count: 32)
    static let payload = Array(
        #"{"recordType":"person","id":"TST-00001","name":{"given":"Testa","family":"Sealed"}}"#.utf8)

    @Test func aSealedPayloadOpensOnlyWithItsKeyAndItsContentHash() throws {
        let seal = try PayloadSeal(key: Self.key)
        let sealed = seal.seal(Self.payload, contentHash: "h1")
        #expect(PayloadSeal.isSealed(sealed))
        #expect(!sealed.contains(subsequence: Array("Testa".utf8)))
        #expect(seal.open(sealed, contentHash: "h1") == Self.payload)
        #expect(seal.open(sealed, contentHash: "h2") == nil)
        let other = try PayloadSeal(key: [UInt8](repeating: 8, count: 32))
        #expect(other.open(sealed, contentHash: "h1") == nil)
        var tampered = sealed
        tampered[tampered.count - 1] ^= 1
        #expect(seal.open(tampered, contentHash: "h1") == nil)
        // Two seals of the same payload differ: each has its own nonce.
        #expect(seal.seal(Self.payload, contentHash: "h1") != sealed)
    }

    @Test func aPayloadStoredBeforeTheKeyWasSetIsReadAsItIs() throws {
        let seal: PayloadSeal? = try PayloadSeal(key: Self.key)
        let opened = seal.opened(Self.payload, contentHash: "h1")
        #expect(opened.payload == Self.payload)
        #expect(opened.problem == nil)
    }

    @Test func aSealedPayloadWithoutTheKeySaysWhyItCannotBeRead() throws {
        let sealed = try PayloadSeal(key: Self.key).seal(Self.payload, contentHash: "h1")
        let none: PayloadSeal? = nil
        #expect(none.opened(sealed, contentHash: "h1").problem?.contains("no storeKey") == true)
        let wrong: PayloadSeal? = try PayloadSeal(key: [UInt8](repeating: 9, count: 32))
        #expect(wrong.opened(sealed, contentHash: "h1").problem?.contains("does not open") == true)
    }

    @Test func theKeyIsSixtyFourHexDigitsFromAFileOrTheEnvironment() throws {
        let folder = try TemporaryDirectory()
        let good = try folder.write("store.key", String(repeating: "0a", count: 32) + "\n")
        let seal = try PayloadSeal(secret: .file(good))
        #expect(seal.open(seal.seal(Self.payload, contentHash: "h"), contentHash: "h") == Self.payload)
        let short = try folder.write("short.key", "abcd\n")
        #expect(throws: SealError.self) { try PayloadSeal(secret: .file(short)) }
        let notHex = try folder.write("text.key", String(repeating: "zz", count: 32))
        let error = try #require(throws: SealError.self) { try PayloadSeal(secret: .file(notHex)) }
        #expect(error.description.contains("openssl rand -hex 32"))
        #expect(!error.description.contains("zz"))
        #expect(throws: SealError.self) { try PayloadSeal(key: [1, 2, 3]) }
    }

    @Test(arguments: StoreKind.underTest) func theStoreHoldsNoPayloadInTheClearAndWorkersGetItBack(kind: StoreKind)
        throws
    {
        let outbox = try OutboxUnderTest(kind)
        let seal = try PayloadSeal(key: Self.key)
        let store = try outbox.open(seal: seal)
        let record = NewRecord(key: "TST-00001", contentHash: "h1", payload: Self.payload)
        _ = try store.enqueue(
            NewBatch(id: "b1", client: "c", sourceFormat: "canonical", records: [record], destinations: ["a"]))

        let stored = try outbox.storedPayloads()
        #expect(stored.count == 1)
        #expect(stored.allSatisfy { PayloadSeal.isSealed($0) && !$0.contains(subsequence: Array("Testa".utf8)) })

        let claimed = try store.claimDue(limit: 10, lease: 30, now: Date().timeIntervalSince1970 + 1)
        #expect(claimed.map(\.payload) == [Self.payload])
        #expect(claimed.first?.unreadablePayload == nil)

        // Opened without the key, the same queue says why it cannot read the payload, and loses nothing.
        let keyless = try outbox.open()
        let again = try keyless.claimDue(limit: 10, lease: 30, now: Date().timeIntervalSince1970 + 100)
        #expect(again.first?.payload == [])
        #expect(again.first?.unreadablePayload?.contains("no storeKey") == true)
        #expect(try outbox.storedPayloads() == stored)
    }
}

extension PayloadSealTests {
    @Test func aDeliveryWhosePayloadCannotBeOpenedWaitsInTheQueueUntilTheKeyIsBack() throws {
        let outbox = try OutboxUnderTest(.sqlite)
        let seal = try PayloadSeal(key: Self.key)
        let record = NewRecord(key: "TST-00001", contentHash: "h1", payload: Self.payload)
        _ = try outbox.open(seal: seal).enqueue(
            NewBatch(id: "b1", client: "c", sourceFormat: "canonical", records: [record], destinations: ["p"]))
        let partner = ScriptedPartner(answers: [])
        let agreement = try DataSharingAgreement(name: "all", version: "1", fields: [try FieldPath("id")])
        func service(_ store: any OutboxStore) -> DeliveryService {
            DeliveryService(
                store: store, targets: [.init(name: "p", destination: partner, agreement: agreement, retry: .init())],
                settings: .init(workers: 1), logger: Logger(label: "test", style: .json, sink: LogSink { _ in }))
        }

        let keyless = try outbox.open()
        try service(keyless).deliverDue()
        #expect(partner.received.isEmpty)
        let waiting = try #require(try keyless.batch("b1")).records.flatMap(\.deliveries)
        #expect(waiting.map(\.state) == [.queued])
        #expect(waiting.map(\.attempts) == [0])

        let keyed = try outbox.open(seal: seal)
        try service(keyed).deliverDue(now: Date().timeIntervalSince1970 + 120)
        #expect(partner.received.count == 1)
        #expect(try #require(try keyed.batch("b1")).records.flatMap(\.deliveries).map(\.state) == [.delivered])
    }
}

extension PayloadSealTests {
    /// A new key on a running queue: what the old key sealed still opens and is delivered, what is written
    /// from then on is sealed under the new key only.
    @Test(arguments: StoreKind.underTest) func aChangedKeyStillOpensWhatThePreviousKeySealed(kind: StoreKind)
        throws
    {
        let outbox = try OutboxUnderTest(kind)
        let old = try PayloadSeal(key: Self.key)
        let newKey = [UInt8](repeating: 42, count: 32)
        let record = NewRecord(key: "TST-00001", contentHash: "h1", payload: Self.payload)
        _ = try outbox.open(seal: old).enqueue(
            NewBatch(id: "b1", client: "c", sourceFormat: "canonical", records: [record], destinations: ["a"]))

        let rotated = try outbox.open(seal: try PayloadSeal(key: newKey, previousKeys: [Self.key]))
        let second = NewRecord(key: "TST-00002", contentHash: "h2", payload: Self.payload)
        _ = try rotated.enqueue(
            NewBatch(id: "b2", client: "c", sourceFormat: "canonical", records: [second], destinations: ["a"]))
        let claimed = try rotated.claimDue(limit: 10, lease: 30, now: Date().timeIntervalSince1970 + 1)
        #expect(claimed.map(\.payload) == [Self.payload, Self.payload])
        #expect(claimed.allSatisfy { $0.unreadablePayload == nil })

        let stored = try outbox.storedPayloads()
        #expect(old.open(stored[0], contentHash: "h1") == Self.payload)
        #expect(old.open(stored[1], contentHash: "h2") == nil)
        #expect(try PayloadSeal(key: newKey).open(stored[1], contentHash: "h2") == Self.payload)
    }

    @Test func previousKeysAreCheckedLikeTheKey() throws {
        let folder = try TemporaryDirectory()
        let current = try folder.write("store.key", String(repeating: "0a", count: 32))
        let previous = try folder.write("old.key", String(repeating: "07", count: 32))
        let seal = try PayloadSeal(secret: .file(current), previous: [.file(previous)])
        let sealedBefore = try PayloadSeal(key: Self.key).seal(Self.payload, contentHash: "h")
        #expect(seal.open(sealedBefore, contentHash: "h") == Self.payload)
        let short = try folder.write("short.key", "abcd")
        #expect(throws: SealError.self) { try PayloadSeal(secret: .file(current), previous: [.file(short)]) }
    }
}

extension Array where Element == UInt8 {
    fileprivate func contains(subsequence: [UInt8]) -> Bool {
        guard !subsequence.isEmpty, count >= subsequence.count else { return false }
        return (0...(count - subsequence.count)).contains {
            self[$0..<($0 + subsequence.count)].elementsEqual(subsequence)
        }
    }
}
