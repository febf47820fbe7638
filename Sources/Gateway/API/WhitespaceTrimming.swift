import Foundation

extension StringProtocol {
    /// `trimmingCharacters(in: .whitespaces)`, without Foundation's cost when there is nothing to trim: header
    /// values nearly always start and end with a visible ASCII character.
    func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.first, let last = scalars.last else { return "" }
        let visible = { (scalar: Unicode.Scalar) in scalar.isASCII && scalar != " " && scalar != "\t" }
        if visible(first) && visible(last) { return String(self) }
        return trimmingCharacters(in: .whitespaces)
    }
}
