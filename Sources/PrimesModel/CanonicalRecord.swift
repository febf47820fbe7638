/// One line of the canonical NDJSON: a person or a registration group, told apart by `recordType`.
public enum CanonicalRecord: Hashable, Sendable {
    case person(Person)
    case group(RegistrationGroup)

    public var recordType: RecordType {
        switch self {
        case .person: .person
        case .group: .group
        }
    }

    /// The record's own key for messages and reports: its id, else its ref.
    public var key: String? {
        switch self {
        case .person(let person): person.id ?? person.ref
        case .group(let group): group.id
        }
    }

    public var extensions: [String: [String: JSONValue]] {
        switch self {
        case .person(let person): person.extensions
        case .group(let group): group.extensions
        }
    }
}

/// The kinds of canonical record, as written in the `recordType` field.
public enum RecordType: String, Codable, Sendable, CaseIterable {
    case person
    case group
}

extension CanonicalRecord: Codable {
    private enum CodingKeys: String, CodingKey {
        case recordType
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(RecordType.self, forKey: .recordType) {
        case .person: self = .person(try Person(from: decoder))
        case .group: self = .group(try RegistrationGroup(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .person(let person): try person.encode(to: encoder)
        case .group(let group): try group.encode(to: encoder)
        }
    }
}

extension KeyedDecodingContainer {
    func expectRecordType(_ expected: RecordType, forKey key: Key) throws {
        let found = try decodeIfPresent(RecordType.self, forKey: key) ?? expected
        guard found == expected else {
            throw DecodingError.dataCorruptedError(
                forKey: key,
                in: self,
                debugDescription: "expected recordType \(expected.rawValue)"
            )
        }
    }
}
