import PrimesModel

/// What a PING document says about itself besides its `Data` items: a retrieval page's count, transaction
/// and paging summary, or an ingestion payload's shipping process.
public struct PINGEnvelope: Sendable, Equatable {
    public var recordCount: Int?
    public var transactionId: String?
    public var errorMessage: String?
    public var pagingCookie: String?
    public var pageNumber: Int?
    public var moreRecordsAvailable: Bool?
    public var shippingProcessId: String?
    public var interopId: String?

    public init() {}
}

/// One `Data` item, as the reader needs it.
enum PINGItem {
    /// An object whose `Fields` member (the last, if it is given more than once) is a list.
    case ingestion(PINGIngestionItem)
    /// Any other item, whole.
    case other(JSONValue)
}

/// An ingestion item: its `Fields` as name/value pairs, and the other members the reader uses.
struct PINGIngestionItem {
    /// One element of `Fields`: its `Name` and `Value` members (the last of each when given twice), or, for an
    /// element that is not an object, `isObject` false.
    struct Field {
        var isObject = true
        var name: JSONValue?
        var value: JSONValue?
    }

    var fields: [Field] = []
    /// The item's other members (`ExternalId`, `Attachments`, …).
    var members: [String: JSONValue] = [:]
}

/// Streams the `Data` items of a PING retrieval response or ingestion payload, one object at a time.
///
/// Memory holds the parser's 64 KiB buffer and the one item being returned, whatever the number of items;
/// the envelope's other members (`RecordCount`, `PagingSummary`, …) are small and kept in `envelope`. A bare
/// JSON array of items is read too.
final class PINGEnvelopeReader {
    private enum State {
        case start
        case topLevelMembers
        case dataItems(first: Bool)
        case bareItems(first: Bool)
        case finished
    }

    private let parser: JSONStreamParser
    private var state = State.start
    private(set) var envelope = PINGEnvelope()
    /// The 0-based position of the last item returned.
    private(set) var index = -1
    /// The line the last item started on.
    private(set) var itemLine = 1

    var sourceName: String { parser.source.name }

    init(source: any ByteSource) {
        parser = JSONStreamParser(source: source)
    }

    /// The next `Data` item, or nil after the last one (the rest of the envelope has then been read).
    func next() throws -> PINGItem? {
        while true {
            switch state {
            case .start:
                switch try parser.peek() {
                case UInt8(ascii: "{"):
                    _ = try parser.take(UInt8(ascii: "{"))
                    if try parser.take(UInt8(ascii: "}")) {
                        throw parser.malformed("a PING document needs a Data list")
                    }
                    state = .topLevelMembers
                case UInt8(ascii: "["):
                    _ = try parser.take(UInt8(ascii: "["))
                    state = .bareItems(first: true)
                case nil:
                    throw parser.malformed("the input is empty")
                default:
                    throw parser.malformed("a PING document is an object with a Data list")
                }
            case .topLevelMembers:
                let name = try parser.key()
                if name == "Data" {
                    try parser.expect(UInt8(ascii: "["), "Data to be a list")
                    state = .dataItems(first: true)
                } else {
                    record(name, try parser.value(depth: 1))
                    try finishMember()
                }
            case .dataItems(let first):
                if let item = try item(first: first, depth: 2) {
                    state = .dataItems(first: false)
                    return item
                }
                try finishMember()
            case .bareItems(let first):
                if let item = try item(first: first, depth: 1) {
                    state = .bareItems(first: false)
                    return item
                }
                try finishDocument()
            case .finished:
                return nil
            }
        }
    }

    /// Reads the next list element, or takes the closing bracket and returns nil.
    private func item(first: Bool, depth: Int) throws -> PINGItem? {
        if first {
            if try parser.take(UInt8(ascii: "]")) { return nil }
        } else if !(try parser.continues(until: UInt8(ascii: "]"))) {
            return nil
        }
        _ = try parser.peek()
        itemLine = parser.line
        index += 1
        return try item(depth: depth)
    }

    /// Reads one item; an object's `Fields` list is read as name/value pairs.
    ///
    /// WHY: building a dictionary for every `{Name, Value}` object of every item cost most of the reading. The
    /// bytes are taken through the same parser calls, in the same order, as `JSONStreamParser.value(depth:)`
    /// takes them, so a malformed or too deeply nested item fails with the same message at the same line; and
    /// a member given twice counts by its last value, as in a dictionary.
    private func item(depth: Int) throws -> PINGItem {
        guard try parser.valueStart(depth: depth) == UInt8(ascii: "{") else {
            return .other(try parser.value(depth: depth))
        }
        parser.advance()
        var members: [String: JSONValue] = [:]
        var fields: [PINGIngestionItem.Field]?
        if !(try parser.take(UInt8(ascii: "}"))) {
            repeat {
                let name = try parser.key()
                if name == "Fields", try parser.valueStart(depth: depth + 1) == UInt8(ascii: "[") {
                    fields = try fieldList(depth: depth + 1)
                    members["Fields"] = nil
                } else {
                    members[name] = try parser.value(depth: depth + 1)
                    if name == "Fields" { fields = nil }
                }
            } while try parser.continues(until: UInt8(ascii: "}"))
        }
        guard let fields else { return .other(.object(members)) }
        return .ingestion(PINGIngestionItem(fields: fields, members: members))
    }

    /// Reads a `Fields` list whose `[` starts at `depth`.
    private func fieldList(depth: Int) throws -> [PINGIngestionItem.Field] {
        parser.advance()
        var fields: [PINGIngestionItem.Field] = []
        if try parser.take(UInt8(ascii: "]")) { return fields }
        repeat {
            guard try parser.valueStart(depth: depth + 1) == UInt8(ascii: "{") else {
                _ = try parser.value(depth: depth + 1)
                fields.append(PINGIngestionItem.Field(isObject: false))
                continue
            }
            parser.advance()
            var field = PINGIngestionItem.Field()
            if !(try parser.take(UInt8(ascii: "}"))) {
                repeat {
                    let name = try parser.key()
                    let value = try parser.value(depth: depth + 2)
                    if name == "Name" {
                        field.name = value
                    } else if name == "Value" {
                        field.value = value
                    }
                } while try parser.continues(until: UInt8(ascii: "}"))
            }
            fields.append(field)
        } while try parser.continues(until: UInt8(ascii: "]"))
        return fields
    }

    private func finishMember() throws {
        if try parser.continues(until: UInt8(ascii: "}")) {
            state = .topLevelMembers
        } else {
            try finishDocument()
        }
    }

    private func finishDocument() throws {
        guard try parser.peek() == nil else { throw parser.malformed("content after the end of the document") }
        state = .finished
    }

    private func record(_ name: String, _ value: JSONValue) {
        switch name {
        case "RecordCount": envelope.recordCount = value.integer
        case "SPHTransactionId": envelope.transactionId = value.scalarText
        case "ErrorMessage": envelope.errorMessage = value.scalarText
        case "ShippingProcessId": envelope.shippingProcessId = value.scalarText
        case "InteropId", "InteropID": envelope.interopId = value.scalarText
        case "PagingSummary":
            guard case .object(let summary) = value else { return }
            envelope.pagingCookie = summary["PagingCookie"]?.scalarText
            envelope.pageNumber = summary["PageNumber"]?.integer
            if case .bool(let more) = summary["IsMoreRecordsAvailable"] { envelope.moreRecordsAvailable = more }
        default:
            break
        }
    }
}

extension JSONValue {
    /// The value as a whole number, from a JSON number or a text of digits (PING sends option sets both ways).
    var integer: Int? {
        switch self {
        case .number(let number): number.rounded() == number && abs(number) < 1e15 ? Int(number) : nil
        case .string(let text): Int(text)
        default: nil
        }
    }
}
