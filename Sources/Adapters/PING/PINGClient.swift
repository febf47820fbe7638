import Foundation
import HTTPClient
import PrimesModel

/// Where a PING deployment is and how to authenticate to it.
///
/// The bearer token is read from a file by whoever builds this (the CLI's `--credentials-file`, the
/// gateway's configuration); it never appears in a message. Mutual TLS (the older DTP interface demanded a
/// client certificate) is on when a client certificate and key are given.
public struct PINGConfiguration: Sendable {
    /// `https://host[:port]`, without a trailing path.
    public var baseURL: String
    public var token: String
    public var partnerId: String
    public var shippingProcessId: String
    public var interopId: String
    public var apiVersion = "V3"
    public var retrievalPath = "/primes/fetch/paging/v3/retrievedatawithpaging"
    /// `{PartnerId}` is replaced by `partnerId`.
    public var ingestionPath = "/api/ingestion/v2/{PartnerId}/data"
    /// How many persons one ingestion call carries.
    public var batchSize = 100
    /// A bound on the pages one retrieval follows, so that a server that always says "more" cannot loop us.
    public var maximumPages = 100_000
    /// A CA file to trust instead of the system's (a deployment with a private CA).
    public var caCertificatePath: String?
    /// The client certificate and key for mutual TLS, when the deployment demands one.
    public var clientCertificatePath: String?
    public var clientKeyPath: String?
    public var timeoutSeconds: Double = 60

    public init(
        baseURL: String,
        token: String,
        partnerId: String,
        shippingProcessId: String = "",
        interopId: String = ""
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.partnerId = partnerId
        self.shippingProcessId = shippingProcessId
        self.interopId = interopId
    }
}

/// Why a retrieval stopped. Messages name the page and the status, never a record's content or the token.
public enum PINGClientError: Error, Sendable, Equatable, CustomStringConvertible {
    case authenticationFailed(status: Int?, reason: String)
    case refused(status: Int, page: Int)
    case transport(HTTPClientError)
    case malformedPage(page: Int, reason: String)
    case pagingDidNotAdvance(page: Int)
    case tooManyPages(Int)
    case requestNotEncodable

    public var description: String {
        switch self {
        case .authenticationFailed(let status, let reason):
            "PING refused the credentials" + (status.map { " (HTTP \($0))" } ?? "") + ": \(reason)"
        case .refused(let status, let page): "PING answered page \(page) with HTTP \(status)"
        case .transport(let error): "\(error)"
        case .malformedPage(let page, let reason): "PING page \(page) is malformed: \(reason)"
        case .pagingDidNotAdvance(let page): "PING page \(page) repeats the previous page's paging cookie"
        case .tooManyPages(let limit): "PING retrieval went beyond \(limit) pages"
        case .requestNotEncodable: "the PING request cannot be encoded as JSON"
        }
    }
}

/// A client of one PING deployment: retrieval that follows paging to the end, ingestion in batches, and
/// status updates, each with a typed outcome.
public final class PINGClient: Sendable {
    public let configuration: PINGConfiguration
    private let http: HTTPClient

    public init(configuration: PINGConfiguration) {
        self.configuration = configuration
        http = HTTPClient(
            configuration: HTTPClientConfiguration(
                caCertificatePath: configuration.caCertificatePath,
                clientCertificatePath: configuration.clientCertificatePath,
                clientKeyPath: configuration.clientKeyPath,
                timeoutSeconds: configuration.timeoutSeconds
            ))
    }

    // MARK: - Retrieval

    /// The records of a retrieval, read page by page as the caller asks for them.
    ///
    /// - Parameter queryParameters: the `QueryParameters` object PING's retrieval takes (a date filter, say).
    public func retrieval(
        queryParameters: JSONValue = .object([:]),
        mapping: MappingFile,
        codeLists: CanonicalCodeLists,
        receivedAt: String = Timestamp.now()
    ) -> PINGRetrieval {
        PINGRetrieval(
            client: self, queryParameters: queryParameters, mapping: mapping, codeLists: codeLists,
            receivedAt: receivedAt)
    }

    /// Fetches one page; `page` counts from 1 and `cookie` is the previous page's paging cookie.
    func fetchPage(page: Int, cookie: String?, queryParameters: JSONValue) throws(PINGClientError) -> [UInt8] {
        var body: [String: JSONValue] = [
            "ShippingProcessId": .string(configuration.shippingProcessId),
            "PartnerId": .string(configuration.partnerId),
            "InteropID": .string(configuration.interopId),
            "APIVersion": .string(configuration.apiVersion),
            "QueryParameters": queryParameters,
            "PageNumber": .number(Double(page)),
        ]
        if let cookie { body["PagingCookie"] = .string(cookie) }
        let response = try post(configuration.retrievalPath, body: .object(body))
        switch response.status {
        case 200..<300: return response.body
        case 401, 403: throw .authenticationFailed(status: response.status, reason: "retrieval refused")
        default: throw .refused(status: response.status, page: page)
        }
    }

    // MARK: - Ingestion

    /// Sends persons in batches of `configuration.batchSize`; one result per person, in order.
    ///
    /// A person the mapping cannot encode gets `.permanent` without being sent; the others of its batch go.
    /// After an authentication failure no further batch is sent: every remaining person gets the same result.
    ///   - onlyFields: for partial updates, the top-level canonical fields to send besides the key; nil sends
    ///     every field the mapping writes.
    public func ingest(_ persons: [Person], encoder: PINGIngestionEncoder, onlyFields: Set<String>? = nil)
        -> [DeliveryResult]
    {
        var results = [DeliveryResult?](repeating: nil, count: persons.count)
        var start = 0
        while start < persons.count {
            let end = min(start + max(1, configuration.batchSize), persons.count)
            var items: [JSONValue] = []
            var positions: [Int] = []
            for position in start..<end {
                do {
                    let location = RecordLocation(source: "ping-ingestion", index: position)
                    items.append(try encoder.item(for: persons[position], at: location, onlyFields: onlyFields).json)
                    positions.append(position)
                } catch {
                    results[position] = .permanent(
                        reason: "the record cannot be written as a PING ingestion item",
                        details: error.description.split(separator: "\n").map(String.init))
                }
            }
            if !items.isEmpty {
                let outcome = send(items: items)
                for position in positions { results[position] = outcome }
                if case .authenticationFailed = outcome {
                    for position in end..<persons.count { results[position] = outcome }
                    break
                }
            }
            start = end
        }
        return results.map { $0 ?? .retryable(reason: "not sent", retryAfterSeconds: nil) }
    }

    /// A status update: one ingestion item whose fields are the key field and the fields being changed, such
    /// as `progres_interoperabilityreferralid` and `progres_comments` for a referral.
    public func updateStatus(
        externalId: String,
        key: (name: String, value: String),
        changes: [(name: String, value: JSONValue)]
    ) -> DeliveryResult {
        let fields = [(key.name, JSONValue.string(key.value))] + changes.map { ($0.name, $0.value) }
        let item = JSONValue.object([
            "ExternalId": .string(externalId),
            "Attachments": .array([]),
            "Fields": .array(fields.map { .object(["Name": .string($0.0), "Value": $0.1]) }),
        ])
        return send(items: [item])
    }

    /// Sends one ingestion payload and classifies the answer.
    func send(items: [JSONValue]) -> DeliveryResult {
        let payload = JSONValue.object([
            "ShippingProcessId": .string(configuration.shippingProcessId),
            "InteropId": .string(configuration.interopId),
            "Data": .array(items),
        ])
        let path = configuration.ingestionPath.replacingOccurrences(
            of: "{PartnerId}", with: Self.pathSegment(configuration.partnerId))
        let response: HTTPClientResponse
        do {
            response = try post(path, body: payload)
        } catch {
            return Self.result(for: error)
        }
        return Self.result(for: response)
    }

    // MARK: - HTTP

    private func post(_ path: String, body: JSONValue) throws(PINGClientError) -> HTTPClientResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes: [UInt8]
        do {
            bytes = Array(try encoder.encode(body))
        } catch {
            throw .requestNotEncodable
        }
        let request = HTTPClientRequest(
            method: "POST",
            url: configuration.baseURL + path,
            headers: [("Content-Type", "application/json"), ("Accept", "application/json")],
            body: bytes,
            authorization: .bearer(configuration.token)
        )
        do {
            return try http.send(request)
        } catch {
            // A refused client certificate ends the handshake: retrying cannot help until an operator acts.
            if case .tlsFailed(_, let reason) = error { throw .authenticationFailed(status: nil, reason: reason) }
            throw .transport(error)
        }
    }

    /// The delivery outcome of an ingestion answer.
    static func result(for response: HTTPClientResponse) -> DeliveryResult {
        switch response.status {
        case 200..<300:
            return .delivered(remoteId: nil)
        case 401, 403:
            return .authenticationFailed(reason: "PING refused the credentials (HTTP \(response.status))")
        case 408, 429, 500..<600:
            let wait = response.header("retry-after").flatMap(Double.init)
            return .retryable(reason: "PING answered HTTP \(response.status)", retryAfterSeconds: wait)
        default:
            return .permanent(reason: "PING refused the batch (HTTP \(response.status))", details: details(response))
        }
    }

    static func result(for error: PINGClientError) -> DeliveryResult {
        switch error {
        case .authenticationFailed(_, let reason): .authenticationFailed(reason: reason)
        case .transport(.invalidURL(let url)): .permanent(reason: "invalid PING URL \(url)", details: [])
        default: .retryable(reason: error.description, retryAfterSeconds: nil)
        }
    }

    /// PING's own error text, for the dead letters an operator reads; it goes to no log.
    private static func details(_ response: HTTPClientResponse) -> [String] {
        guard let object = try? JSONDecoder().decode(JSONValue.self, from: Data(response.body)),
            case .object(let fields) = object
        else { return [] }
        return ["ErrorMessage", "Message", "message"].compactMap { fields[$0]?.scalarText }.map {
            String($0.prefix(500))
        }
    }

    private static func pathSegment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/")))
            ?? text
    }
}

/// A retrieval as a `RecordReader`: pages are fetched as the records of the previous one run out, so memory
/// holds one page's bytes and one item, however many pages PING has.
public final class PINGRetrieval: RecordReader {
    private let client: PINGClient
    private let queryParameters: JSONValue
    private let mapping: MappingFile
    private let codeLists: CanonicalCodeLists
    private let receivedAt: String
    private var current: PINGReader?
    private var page = 0
    private var cookie: String?
    private var finished = false
    /// Pages fetched so far, and the transaction ids PING gave them.
    public private(set) var pagesFetched = 0
    public private(set) var transactionIds: [String] = []

    init(
        client: PINGClient,
        queryParameters: JSONValue,
        mapping: MappingFile,
        codeLists: CanonicalCodeLists,
        receivedAt: String
    ) {
        self.client = client
        self.queryParameters = queryParameters
        self.mapping = mapping
        self.codeLists = codeLists
        self.receivedAt = receivedAt
    }

    public func next() throws -> ReadItem? {
        while true {
            if let current {
                let item: ReadItem?
                do {
                    item = try current.next()
                } catch let error as InputError {
                    throw PINGClientError.malformedPage(page: page, reason: error.description)
                }
                if let item { return item }
                try finishPage(current.envelope)
            }
            guard !finished else { return nil }
            try fetchNextPage()
        }
    }

    private func fetchNextPage() throws {
        page += 1
        guard page <= client.configuration.maximumPages else {
            throw PINGClientError.tooManyPages(client.configuration.maximumPages)
        }
        let body = try client.fetchPage(page: page, cookie: cookie, queryParameters: queryParameters)
        pagesFetched += 1
        current = try PINGReader(
            source: MemoryInput(body, name: "PING page \(page)"), mapping: mapping, codeLists: codeLists,
            receivedAt: receivedAt)
    }

    private func finishPage(_ envelope: PINGEnvelope) throws {
        current = nil
        if let transactionId = envelope.transactionId { transactionIds.append(transactionId) }
        guard envelope.moreRecordsAvailable == true else {
            finished = true
            return
        }
        if let next = envelope.pagingCookie, next == cookie { throw PINGClientError.pagingDidNotAdvance(page: page) }
        cookie = envelope.pagingCookie
    }
}

/// PING as a gateway destination: each record is one ingestion item, sent on its own.
///
/// The gateway's delivery loop hands over one record at a time; batch senders (`push`) use `PINGClient.ingest`.
public struct PINGDestination: RecordDestination {
    public let client: PINGClient
    public let encoder: PINGIngestionEncoder

    public init(client: PINGClient, encoder: PINGIngestionEncoder) {
        self.client = client
        self.encoder = encoder
    }

    /// Sends the person; an update pulled from another partner (`context.changedFields`) as an ingestion of
    /// its key and the changed fields only, or nothing at all when PING holds none of them.
    public func deliver(_ record: CanonicalRecord, context: DeliveryContext) -> DeliveryResult {
        guard case .person(let person) = record else {
            return .permanent(reason: "PING ingestion carries persons; a group travels with its members", details: [])
        }
        if let changed = context.changedFields, encoder.writtenFields.isDisjoint(with: changed) {
            return .unchanged(remoteId: context.remoteId)
        }
        return client.ingest([person], encoder: encoder, onlyFields: context.changedFields.map(Set.init))[0]
    }

    /// What PING holds of the person after this delivery, as a retrieval reads it back: the fields the
    /// mapping writes (of them only the changed ones, for a partial update) with the key.
    public func heldView(of record: CanonicalRecord, context: DeliveryContext) -> CanonicalRecord? {
        guard case .person(let person) = record else { return nil }
        return encoder.heldView(of: person, onlyFields: context.changedFields.map(Set.init)).map(CanonicalRecord.person)
    }
}
