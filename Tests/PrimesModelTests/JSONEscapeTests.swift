import Foundation
import PrimesModel
import Testing

/// The JSON string escapes every reader of the project decodes through `JSONEscape`.
@Suite struct JSONEscapeTests {
    /// Decodes `escape` (what follows the backslash); nil when it is refused, with what was left unread.
    static func decode(_ escape: String) -> (text: String, rest: Int)? {
        var bytes = Array(escape.utf8)[...]
        var text: [UInt8] = []
        guard JSONEscape.decode(from: { bytes.popFirst() }, into: &text) else { return nil }
        return (String(decoding: text, as: UTF8.self), bytes.count)
    }

    @Test(
        arguments: [
            ("n", "\n"), ("t", "\t"), ("\"", "\""), ("\\", "\\"), ("/", "/"), ("b", "\u{08}"), ("f", "\u{0C}"),
            ("u00e9", "é"), ("u0041", "A"), ("uD83D\\uDE00", "😀"),
        ])
    func decodesEachEscape(escape: String, expected: String) throws {
        let decoded = try #require(Self.decode(escape))
        #expect(decoded.text == expected)
        #expect(decoded.rest == 0)
    }

    @Test(arguments: ["", "x", "u12", "u+041", "u00g1", "uD83D", "uD83Dx", "uD83D\\u0041", "uDE00"])
    func refusesAMalformedEscape(escape: String) {
        #expect(Self.decode(escape) == nil)
    }

    @Test func readsOnlyItsOwnBytes() throws {
        #expect(try #require(Self.decode("u0041BC")).rest == 2)
    }

    @Test func writesTextAsJSONEncoderSpellsIt() throws {
        for text in ["plain", "quote \" back \\ slash /", "\n\r\t\u{08}\u{0C}\u{1F}", "étÉ 😀"] {
            var written: [UInt8] = []
            JSONEscape.appendQuoted(text, to: &written)
            let encoder = JSONEncoder()
            encoder.outputFormatting = .withoutEscapingSlashes
            let encoded = try encoder.encode(text)
            #expect(written == Array(encoded), "\(text)")
        }
    }

    /// `isPlain` reads words of eight and four bytes, overlapping at the end: a byte to escape is found at every
    /// position of every length, and plain bytes (UTF-8 above 0x7F included) are left plain.
    @Test func isPlainFindsAnEscapeAtEveryPosition() {
        for count in 0...40 {
            let plain: [UInt8] = (0..<count).map { index -> UInt8 in
                let letter = UInt8(0x41 + index % 26)
                return index % 5 == 0 ? letter | 0x80 : letter
            }
            #expect(plain.withUnsafeBufferPointer { JSONEscape.isPlain($0) }, "\(count)")
            for position in 0..<count {
                for byte: UInt8 in [0x00, 0x0A, 0x1F, 0x22, 0x5C] {
                    var bytes = plain
                    bytes[position] = byte
                    #expect(!bytes.withUnsafeBufferPointer { JSONEscape.isPlain($0) }, "\(count) \(position)")
                }
            }
        }
    }
}
