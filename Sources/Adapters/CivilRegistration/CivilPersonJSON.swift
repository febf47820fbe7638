import Foundation
import PrimesModel

/// Moves a person between the canonical model and the JSON tree that dialect rules address by `FieldPath`,
/// so that a rule can name any canonical field without the engine knowing each one.
///
/// The fields civil-registration dialects fill are converted directly, because a trip through JSON text for
/// every person dominated the time of a large conversion; a tree with any other field takes that trip, so
/// that every canonical field stays usable in a mapping file.
enum CivilPersonJSON {
    /// The person a rule-filled tree describes, or the field and rule it breaks.
    static func person(from tree: JSONValue) throws(RecordRejection) -> Person {
        if let person = try? direct(tree) { return person }
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

    private struct NotDirect: Error {}

    private static let directKeys: Set<String> = [
        "ref", "id", "identifiers", "name", "sex", "birthDate", "deathDate", "birthPlace", "nationalities",
        "relationships", "events", "extensions",
    ]

    /// The fast path: the fields dialects fill, read straight from the tree; anything else is `NotDirect`.
    private static func direct(_ tree: JSONValue) throws -> Person {
        guard case .object(let fields) = tree, fields.keys.allSatisfy(directKeys.contains) else { throw NotDirect() }
        var person = Person()
        person.ref = try text(fields["ref"])
        person.id = try text(fields["id"])
        person.sex = try text(fields["sex"])
        person.birthDate = try date(fields["birthDate"])
        person.deathDate = try date(fields["deathDate"])
        person.birthPlace = try place(fields["birthPlace"])
        person.nationalities = try list(fields["nationalities"]) { try required(text($0)) }
        person.identifiers = try list(fields["identifiers"]) { item in
            let object = try members(item, ["scheme", "value", "issuer"])
            return Identifier(
                scheme: try required(text(object["scheme"])), value: try required(text(object["value"])),
                issuer: try text(object["issuer"]))
        }
        if let name = fields["name"] {
            let object = try members(name, ["given", "family", "middle"])
            person.name = PersonName(
                given: try text(object["given"]), middle: try text(object["middle"]), family: try text(object["family"])
            )
        }
        person.relationships = try list(fields["relationships"]) { item in
            let object = try members(item, ["type", "ref"])
            return Relationship(type: try required(text(object["type"])), ref: try required(text(object["ref"])))
        }
        person.events = try list(fields["events"]) { item in
            let object = try members(item, ["type", "role", "date", "place", "registration"])
            var registration: CivilRegistration?
            if let node = object["registration"] {
                let parts = try members(node, ["number", "date", "authority"])
                registration = CivilRegistration(
                    number: try text(parts["number"]), date: try date(parts["date"]),
                    authority: try text(parts["authority"]))
            }
            return CivilEvent(
                type: try required(text(object["type"])), role: try required(text(object["role"])),
                date: try date(object["date"]), place: try place(object["place"]), registration: registration)
        }
        if case .object(let namespaces)? = fields["extensions"] {
            for (namespace, value) in namespaces {
                guard case .object(let values) = value else { throw NotDirect() }
                person.extensions[namespace] = values
            }
        } else if fields["extensions"] != nil {
            throw NotDirect()
        }
        return person
    }

    private static func members(_ value: JSONValue, _ allowed: Set<String>) throws -> [String: JSONValue] {
        guard case .object(let object) = value, object.keys.allSatisfy(allowed.contains) else { throw NotDirect() }
        return object
    }

    private static func text(_ value: JSONValue?) throws -> String? {
        switch value {
        case nil: return nil
        case .string(let text)?: return text
        default: throw NotDirect()
        }
    }

    private static func required<Value>(_ value: Value?) throws -> Value {
        guard let value else { throw NotDirect() }
        return value
    }

    private static func list<Item>(_ value: JSONValue?, _ item: (JSONValue) throws -> Item) throws -> [Item] {
        switch value {
        case nil: return []
        case .array(let items)?: return try items.map(item)
        default: throw NotDirect()
        }
    }

    private static func date(_ value: JSONValue?) throws -> PartialDate? {
        guard let value else { return nil }
        let object = try members(value, ["value", "precision", "estimated"])
        var estimated = false
        if case .bool(let flag)? = object["estimated"] { estimated = flag }
        let date = try PartialDate(iso: try required(text(object["value"])), estimated: estimated)
        if let precision = try text(object["precision"]), precision != date.precision.rawValue { throw NotDirect() }
        return date
    }

    private static func place(_ value: JSONValue?) throws -> Place? {
        guard let value else { return nil }
        let object = try members(value, ["text", "country", "adminCode"])
        return Place(
            text: try text(object["text"]), country: try text(object["country"]),
            adminCode: try text(object["adminCode"]))
    }
}
