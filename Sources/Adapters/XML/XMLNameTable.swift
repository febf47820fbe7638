/// The element and attribute names of one parse, each numbered once: a path compares numbers, not strings.
///
/// A dialect's own names are entered first, in a fixed order, so that its compiled paths hold their numbers
/// before any document is read.
public final class XMLNameTable {
    public struct Name: Hashable, Sendable {
        public let localName: String
        public let namespace: String?
    }

    public private(set) var names: [Name] = []
    private var numbers: [Name: Int32] = [:]

    public init() {}

    /// The number of `localName` in `namespace`, entered if new.
    public func number(_ localName: String, _ namespace: String?) -> Int32 {
        let name = Name(localName: localName, namespace: namespace)
        if let number = numbers[name] { return number }
        let number = Int32(names.count)
        names.append(name)
        numbers[name] = number
        return number
    }

    public func localName(_ number: Int32) -> String {
        number >= 0 && Int(number) < names.count ? names[Int(number)].localName : ""
    }

    public func namespace(_ number: Int32) -> String? {
        number >= 0 && Int(number) < names.count ? names[Int(number)].namespace : nil
    }
}
