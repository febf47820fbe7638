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
    func next() throws -> JSONValue? {
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
    private func item(first: Bool, depth: Int) throws -> JSONValue? {
        if first {
            if try parser.take(UInt8(ascii: "]")) { return nil }
        } else if !(try parser.continues(until: UInt8(ascii: "]"))) {
            return nil
        }
        _ = try parser.peek()
        itemLine = parser.line
        index += 1
        return try parser.value(depth: depth)
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
