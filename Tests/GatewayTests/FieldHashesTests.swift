import PrimesModel
import TestSupport
import Testing

@testable import Gateway

/// Field hashes are what the store keeps of each pulled subject, beside payloads that may be encrypted: with
/// the store's key they are keyed, so that no one holding the store can test guesses against them.
@Suite struct FieldHashesTests {
    static let record = JSONValue.object([
        "recordType": "person", "id": "TST-000000701", "sex": "female",
        "birthDate": .object(["value": "1990-04-12", "precision": "day", "estimated": false]),
    ])

    @Test func withoutAKeyEachFieldIsItsValuesSHA256() {
        let hashes = FieldHashes.of(Self.record, key: nil)
        #expect(Set(hashes.keys) == ["id", "sex", "birthDate"])
        #expect(hashes["sex"] == String(sha256Hex(JSONValue.string("female").jsonBytes).prefix(32)))
    }

    @Test func withAKeyNoPlainHashOfTheValueMatchesAndTheSameKeyGivesTheSameHashes() {
        let key = [UInt8](repeating: 3, count: 32)
        let keyed = FieldHashes.of(Self.record, key: key)
        let plain = FieldHashes.of(Self.record, key: nil)
        for (name, hash) in keyed { #expect(hash != plain[name]) }
        #expect(FieldHashes.of(Self.record, key: key) == keyed)
        #expect(FieldHashes.of(Self.record, key: [UInt8](repeating: 4, count: 32)) != keyed)
        // The field's name is part of what is keyed: one value under two names hashes apart.
        let twins = FieldHashes.of(.object(["sex": "x", "maritalStatus": "x"]), key: key)
        #expect(twins["sex"] != twins["maritalStatus"])
    }

    @Test(arguments: StoreKind.underTest) func aSealedStoreKeysItsFieldHashesAndAPlainOneDoesNot(kind: StoreKind)
        throws
    {
        let outbox = try OutboxUnderTest(kind)
        let seal = try PayloadSeal(key: [UInt8](repeating: 9, count: 32))
        let sealed = try #require(try outbox.open(seal: seal) as? any SourceStore)
        let again = try #require(try outbox.open(seal: seal) as? any SourceStore)
        #expect(sealed.fieldHashKey != nil)
        #expect(sealed.fieldHashKey == again.fieldHashKey)
        #expect(sealed.fieldHashKey != [UInt8](repeating: 9, count: 32))
        #expect(try #require(try outbox.open() as? any SourceStore).fieldHashKey == nil)
    }
}
