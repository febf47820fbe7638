import Foundation
import Testing

@testable import Gateway

@Suite struct WhitespaceTrimmingTests {
    @Test(arguments: [
        "", " ", "token", " token", "token\t", "\t to ken \t", "application/json", "\u{00A0}token\u{00A0}",
        "tok\u{2003}", "é", " é ", "\u{00A0}", "a\n", "\ntoken",
    ])
    func trimsExactlyAsFoundationDoes(text: String) {
        #expect(text.trimmingSpaces() == text.trimmingCharacters(in: .whitespaces))
        #expect(text[...].trimmingSpaces() == text.trimmingCharacters(in: .whitespaces))
    }
}
