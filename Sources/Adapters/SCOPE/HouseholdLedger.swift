/// The households already seen in one input or output, so that a household whose rows are not contiguous is
/// caught without holding the file in memory.
///
/// Only a 64-bit FNV-1a hash of each household id is kept, with the line where the household started: about
/// 16 bytes a household in the dictionary's storage, so some 4 MB for the 220,000 households of a
/// 1,000,000-member file, instead of the ids themselves. The price: two different ids with the same hash
/// would be reported as one household appearing twice. With 64 bits that takes about 4 billion households
/// to become likely, far beyond any SCOPE export.
struct HouseholdLedger {
    private var firstLines: [UInt64: Int] = [:]

    /// Records that `householdId` starts at `line`; returns the line where it started before, if it did.
    mutating func enter(_ householdId: String, line: Int) -> Int? {
        let key = Self.hash(householdId)
        if let earlier = firstLines[key] { return earlier }
        firstLines[key] = line
        return nil
    }

    /// The same for an id still in bytes (its UTF-8), as the CSV reader's direct path has it.
    mutating func enter(utf8 householdId: UnsafeBufferPointer<UInt8>, line: Int) -> Int? {
        let key = Self.hash(householdId)
        if let earlier = firstLines[key] { return earlier }
        firstLines[key] = line
        return nil
    }

    static func hash(_ text: String) -> UInt64 {
        hash(text.utf8)
    }

    static func hash(_ utf8: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
