import Foundation
import PrimesModel

/// Moves a person between the canonical model and the JSON tree that dialect rules address by `FieldPath`,
/// so that a rule can name any canonical field without the engine knowing each one.
enum CivilPersonJSON {
    /// The person a rule-filled tree describes, or the field and rule it breaks.
    static func person(from tree: JSONValue) throws(RecordRejection) -> Person {
        do {
            let data = try JSONEncoder().encode(tree)
            return try JSONDecoder().decode(Person.self, from: data)
        } catch {
            throw RecordRejection(location: RecordLocation(source: ""), issues: [CanonicalReader.issue(for: error)])
        }
    }

    /// A person as a tree; a person always encodes, so a failure is reported as an empty tree.
    static func tree(from person: Person) -> JSONValue {
        guard let data = try? JSONEncoder().encode(person),
            let tree = try? JSONDecoder().decode(JSONValue.self, from: data)
        else { return .object([:]) }
        return tree
    }
}
