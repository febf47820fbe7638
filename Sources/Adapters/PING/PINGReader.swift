import PrimesModel

/// Reads PING documents into canonical records: retrieval responses (`Data[]` of flat rows keyed by
/// Dynamics attribute paths) and ingestion payloads (`Data[].Fields[{Name, Value}]`), item by item.
///
/// Each row gives a person; the first row naming a registration group also gives that group's record.
/// FetchXML outer joins repeat an individual once per language or specific need, so consecutive rows of the
/// same individual that agree on everything else are merged into one person.
///
/// Memory: the parser's buffer, one item, the person waiting to be merged, and the ids of the groups already
/// given (a few bytes a group), whatever the number of items.
public final class PINGReader: RecordReader {
    private let envelopeReader: PINGEnvelopeReader
    private let decoder: PINGRowDecoder
    private var ready: [ReadItem] = []
    private var waiting: SourceRecord?
    /// The id of the person waiting, if any.
    private var waitingId: String?
    private var groupsGiven: Set<String> = []
    private var ended = false

    /// What the document said about itself; complete once `next()` has returned nil.
    public var envelope: PINGEnvelope { envelopeReader.envelope }

    public init(source: any ByteSource, mapping: MappingFile, codeLists: CanonicalCodeLists, receivedAt: String)
        throws
    {
        envelopeReader = PINGEnvelopeReader(source: source)
        decoder = try PINGRowDecoder(mapping: mapping, codeLists: codeLists, receivedAt: receivedAt)
    }

    public func next() throws -> ReadItem? {
        while ready.isEmpty && !ended {
            guard let item = try envelopeReader.next() else {
                ended = true
                flush()
                if let message = envelope.errorMessage, !message.isEmpty {
                    // The message is PING's own text and may quote a record, so it is not repeated here.
                    throw InputError.malformed(
                        RecordLocation(source: envelopeReader.sourceName), reason: "PING answered with an ErrorMessage")
                }
                break
            }
            read(item)
        }
        return ready.isEmpty ? nil : ready.removeFirst()
    }

    private func read(_ item: PINGItem) {
        let location = RecordLocation(
            source: envelopeReader.sourceName, line: envelopeReader.itemLine, index: envelopeReader.index)
        let row: [(key: String, value: JSONValue)]
        let shape: PINGRowDecoder.Shape
        var externalId: String?
        switch item {
        case .ingestion(let ingestion):
            shape = .ingestion
            externalId = ingestion.members["ExternalId"]?.scalarText
            var pairs: [(key: String, value: JSONValue)] = []
            pairs.reserveCapacity(ingestion.fields.count + 1)
            for (position, field) in ingestion.fields.enumerated() {
                guard field.isObject, let name = field.name?.scalarText else {
                    flush()
                    ready.append(
                        .rejected(
                            RecordRejection(location: location, field: "Fields[\(position)]", rule: "needs a Name")))
                    return
                }
                pairs.append((name, field.value ?? .null))
            }
            if case .array(let attachments)? = ingestion.members["Attachments"], !attachments.isEmpty {
                pairs.append(("Attachments", .array(attachments)))
            }
            row = pairs
        case .other(.object(let object)):
            shape = .retrieval
            row = object.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        case .other:
            flush()
            ready.append(
                .rejected(RecordRejection(location: location, field: "Data", rule: "an item must be an object")))
            return
        }
        do {
            let decoded = try decoder.decode(row, shape: shape, externalId: externalId)
            accept(
                SourceRecord(
                    record: .person(decoded.person), location: location, warnings: decoded.warnings,
                    keptInExtensions: decoded.keptInExtensions))
        } catch {
            flush()
            ready.append(.rejected(RecordRejection(location: location, issues: error.issues)))
        }
    }

    /// Holds a person back until the next row shows whether it continues the same individual.
    ///
    /// WHY: the waiting person's id is kept beside it, so that a row of another individual (nearly every row)
    /// is told apart without copying the waiting record out; and records are moved, not copied, into `ready`.
    private func accept(_ record: consuming SourceRecord) {
        guard case .person(let person) = record.record else { return }
        if let id = person.id, id == waitingId, let waiting, case .person(let previous) = waiting.record,
            let merged = Self.merged(previous, person)
        {
            var combined = waiting
            combined.record = .person(merged)
            combined.keptInExtensions = Array(Set(waiting.keptInExtensions + record.keptInExtensions)).sorted()
            combined.warnings += record.warnings
            self.waiting = combined
            return
        }
        flush()
        if let group = person.group, groupsGiven.insert(group.id).inserted {
            ready.append(
                .record(
                    SourceRecord(record: .group(groupRecord(for: person, groupId: group.id)), location: record.location)
                ))
        }
        waitingId = person.id
        waiting = record
    }

    private func flush() {
        if let waiting = waiting.take() { ready.append(.record(waiting)) }
        waitingId = nil
    }

    private func groupRecord(for person: Person, groupId: String) -> RegistrationGroup {
        let namespace = decoder.settings.extensionNamespace
        var extensions: [String: [String: JSONValue]] = [:]
        if let reference = person.extensions[namespace]?["progres_registrationgroupid"] {
            extensions[namespace] = ["progres_registrationgroupid": reference]
        }
        var provenance = person.provenance
        provenance?.recordId = groupId
        return RegistrationGroup(
            id: groupId,
            identifiers: [Identifier(scheme: decoder.settings.groupIdScheme, value: groupId)],
            provenance: provenance,
            extensions: extensions
        )
    }

    /// The two rows as one person, when they are the same individual and differ only in the parts a join
    /// repeats (languages, specific needs, location levels, extensions); nil otherwise.
    static func merged(_ first: Person, _ second: Person) -> Person? {
        guard let id = first.id, id == second.id else { return nil }
        var core = first
        var other = second
        core.languages = []
        core.specificNeeds = []
        core.location = nil
        core.extensions = [:]
        other.languages = []
        other.specificNeeds = []
        other.location = nil
        other.extensions = [:]
        guard core == other else { return nil }

        var merged = first
        for language in second.languages where !merged.languages.contains(where: { $0.code == language.code }) {
            merged.languages.append(language)
        }
        for need in second.specificNeeds where !merged.specificNeeds.contains(need) {
            merged.specificNeeds.append(need)
        }
        if let location = second.location {
            var levels = merged.location?.levels ?? []
            for level in location.levels where !levels.contains(where: { $0.level == level.level }) {
                levels.append(level)
            }
            merged.location = Location(levels: levels.sorted { $0.level < $1.level }, address: merged.location?.address)
        }
        for (namespace, fields) in second.extensions {
            for (key, value) in fields {
                let existing = merged.extensions[namespace]?[key]
                merged.extensions[namespace, default: [:]][key] = Self.combined(existing, value)
            }
        }
        return merged
    }

    /// Two rows' values of one extension field: the value once when they agree, else every distinct value.
    private static func combined(_ existing: JSONValue?, _ value: JSONValue) -> JSONValue {
        guard let existing, existing != value else { return value }
        if case .array(var values) = existing, values.count > 1 {
            if !values.contains(value) { values.append(value) }
            return .array(values)
        }
        return .array([existing, value])
    }
}
