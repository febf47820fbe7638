import Foundation
import HTTPClient
import PrimesModel

/// A Primero v2 instance as a destination for canonical persons, and a source of cases to pull.
///
/// Creating is idempotent: a person's case id is the UUIDv5 of the mapping's namespace and their proGres
/// individual id, so a repeated push finds the case it made. Before creating, the client looks the person up by
/// `unhcr_individual_no`, so that a case a caseworker opened by hand is updated rather than duplicated. An
/// update sends only the fields that differ from the server's copy, and never a key Primero forbids in a PATCH.
///
/// A 401 stops the client for good: Primero locks an account after six failed sign-ins, so no later delivery
/// tries again until an operator has fixed the credentials and made a new client.
public final class PrimeroClient: RecordDestination, @unchecked Sendable {
    /// The largest page Primero serves.
    public static let maximumPageSize = 1000

    public let baseURL: String
    public let mapping: PrimeroMapping
    /// Whether a person is looked up by proGres individual id before a case is created (one more request per
    /// new person, and no duplicate of a case opened by hand).
    public let looksUpBeforeCreating: Bool
    private let credentials: PrimeroCredentials
    private let http: HTTPClient
    private let writing: PrimeroCaseWriting
    private let lock = NSLock()
    private var refusedCredentials = false

    /// - Parameters:
    ///   - baseURL: the instance's address, such as `https://primero.example.org` (without `/api/v2`).
    public init(
        baseURL: String,
        credentials: PrimeroCredentials,
        mapping: PrimeroMapping,
        timeoutSeconds: Double = 30,
        looksUpBeforeCreating: Bool = true
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.credentials = credentials
        self.mapping = mapping
        self.looksUpBeforeCreating = looksUpBeforeCreating
        http = HTTPClient(
            configuration: HTTPClientConfiguration(
                caCertificatePath: credentials.caCertificatePath,
                timeoutSeconds: timeoutSeconds
            )
        )
        writing = PrimeroCaseWriting(mapping: mapping)
    }

    /// A client for a configured destination: its URL, credentials and CA, and a mapping file (an instance's
    /// overlay) or the seed's, checked against the canonical code lists.
    public convenience init(
        baseURL: String,
        authorization: HTTPAuthorization,
        caCertificatePath: String?,
        mapping reference: String?,
        environment: AdapterEnvironment
    ) throws {
        let mapping = try PrimeroMapping.load(environment.context(mappingOverride: reference))
        self.init(
            baseURL: baseURL,
            credentials: PrimeroCredentials(authorization: authorization, caCertificatePath: caCertificatePath),
            mapping: mapping
        )
    }

    // MARK: - Delivery

    public func deliver(_ record: CanonicalRecord, context: DeliveryContext) -> DeliveryResult {
        do {
            return try deliverOrThrow(record, context: context)
        } catch let failure as PrimeroClientError {
            return failure.deliveryResult
        } catch let rejection as RecordRejection {
            return .permanent(
                reason: "the record cannot be sent to Primero",
                details: rejection.issues.map(\.description)
            )
        } catch {
            return .permanent(reason: "\(error)", details: [])
        }
    }

    /// The case as Primero holds it after a delivery, read back through the same mapping: the fields a later
    /// pull of the case gives, for the gateway's loop guard.
    public func heldView(of record: CanonicalRecord, context: DeliveryContext) -> CanonicalRecord? {
        let location = RecordLocation(source: "delivery \(context.idempotencyKey)")
        guard case .person(let person) = record, let data = try? writing.write(person, at: location).data,
            case .record(let read) = PrimeroCaseReading(mapping: mapping, receivedAt: "").read(data, at: location)
        else { return nil }
        return read.record
    }

    private func deliverOrThrow(_ record: CanonicalRecord, context: DeliveryContext) throws -> DeliveryResult {
        guard case .person(let person) = record else {
            return .permanent(reason: "Primero holds cases for persons; a registration group has none", details: [])
        }
        let data = try writing.write(person, at: RecordLocation(source: "delivery \(context.idempotencyKey)")).data
        guard let ourId = data["id"]?.scalarText, let individualNumber = data["unhcr_individual_no"]?.scalarText else {
            throw PrimeroClientError.noIndividualId
        }

        var existing = context.remoteId
        if existing == nil && looksUpBeforeCreating {
            existing = try findCase(individualNumber: individualNumber)
        }
        if let existing, let current = try fetchCase(id: existing) {
            return try update(id: existing, current: current, desired: data)
        }

        let created = try send("POST", "/api/v2/cases", body: ["data": .object(data)])
        switch created.status {
        case 200, 201, 204:
            return .delivered(remoteId: ourId)
        case 409:
            guard let current = try fetchCase(id: ourId) else {
                throw PrimeroClientError.http(status: 409, details: [])
            }
            return try update(id: ourId, current: current, desired: data)
        default:
            throw PrimeroClientError.from(created)
        }
    }

    /// PATCHes the fields of `desired` that differ from `current`; nothing at all when none does.
    private func update(id: String, current: [String: JSONValue], desired: [String: JSONValue]) throws -> DeliveryResult
    {
        let changes = Self.changes(from: current, to: desired, forbidden: mapping.updateForbidden.union(["module_id"]))
        guard !changes.isEmpty else { return .unchanged(remoteId: id) }
        let response = try send("PATCH", "/api/v2/cases/\(Self.pathComponent(id))", body: ["data": .object(changes)])
        guard (200..<300).contains(response.status) else { throw PrimeroClientError.from(response) }
        return .delivered(remoteId: id)
    }

    // MARK: - Lookups

    /// The id of the one enabled case whose `unhcr_individual_no` is `individualNumber`, or nil when none.
    ///
    /// Primero drops a filter on a field the account may not read and then answers with every case, so each
    /// returned case is checked; several real matches are an error, never a guess.
    public func findCase(individualNumber: String) throws(PrimeroClientError) -> String? {
        let query = [("unhcr_individual_no", individualNumber), ("record_state", "true"), ("per", "100")]
        let response = try send("GET", "/api/v2/cases", query: query)
        guard response.status == 200 else { throw PrimeroClientError.from(response) }
        let (cases, _) = try Self.listPage(response.body)
        var matches: [String] = []
        for item in cases {
            guard case .object(let fields) = item else { continue }
            guard fields["unhcr_individual_no"]?.scalarText == individualNumber else {
                throw PrimeroClientError.filterIgnored(field: "unhcr_individual_no")
            }
            if let id = fields["id"]?.scalarText { matches.append(id) }
        }
        guard matches.count <= 1 else { throw PrimeroClientError.severalMatches(count: matches.count) }
        return matches.first
    }

    /// The case with this id as the server holds it, or nil when there is none.
    public func fetchCase(id: String) throws(PrimeroClientError) -> [String: JSONValue]? {
        let response = try send("GET", "/api/v2/cases/\(Self.pathComponent(id))")
        if response.status == 404 { return nil }
        guard response.status == 200 else { throw PrimeroClientError.from(response) }
        guard case .object(let body)? = try? JSONDecoder().decode(JSONValue.self, from: Data(response.body)),
            case .object(let data)? = body["data"]
        else { throw PrimeroClientError.malformedResponse("a case body without data") }
        return data
    }

    // MARK: - Pulls

    /// Reads every case (updated since `since`, when given) page by page to the end, handing each page's body
    /// to `onPage` as Primero sent it.
    ///
    /// - Parameters:
    ///   - since: an ISO 8601 date or date-time; only cases updated from then until the pull started.
    ///   - pageSize: cases per page, at most 1000.
    /// - Returns: the number of cases read.
    @discardableResult
    public func pullCases(
        since: String? = nil,
        pageSize: Int = PrimeroClient.maximumPageSize,
        onPage: ([UInt8]) throws -> Void
    ) throws -> Int {
        let pages = PrimeroCasePages(client: self, since: since, pageSize: pageSize)
        var read = 0
        while let page = try pages.next() {
            try onPage(page.body)
            read += page.count
        }
        return read
    }

    /// One page of the case list, tried up to three times through a 503, a 5xx or a timeout.
    public func casePage(
        _ page: Int,
        per: Int,
        filters: [(String, String)] = []
    ) throws(PrimeroClientError) -> PrimeroCasePage {
        let query = filters + [("page", String(page)), ("per", String(per))]
        let response = try sendRetrying("GET", "/api/v2/cases", query: query)
        guard response.status == 200 else { throw PrimeroClientError.from(response) }
        let (cases, total) = try Self.listPage(response.body)
        return PrimeroCasePage(body: response.body, count: cases.count, total: total)
    }

    // MARK: - Requests

    private func send(
        _ method: String,
        _ path: String,
        query: [(String, String)] = [],
        body: [String: JSONValue]? = nil
    ) throws(PrimeroClientError) -> HTTPClientResponse {
        guard !credentialsRefused else { throw .authenticationFailed }
        var request = HTTPClientRequest(
            method: method,
            url: baseURL + path + Self.queryString(query),
            headers: [("Accept", "application/json")],
            authorization: credentials.authorization
        )
        if let body {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            guard let bytes = try? encoder.encode(JSONValue.object(body)) else {
                throw .malformedResponse("the request body cannot be encoded")
            }
            request.body = Array(bytes)
            request.headers.append(("Content-Type", "application/json"))
        }
        let response: HTTPClientResponse
        do {
            response = try http.send(request)
        } catch {
            throw .transport(Self.withoutQuery(error))
        }
        if response.status == 401 {
            lock.withLock { refusedCredentials = true }
            throw .authenticationFailed
        }
        return response
    }

    /// A pull's request, tried up to three times through a 503, a 5xx or a timeout (never through a 401).
    private func sendRetrying(
        _ method: String,
        _ path: String,
        query: [(String, String)]
    ) throws(PrimeroClientError) -> HTTPClientResponse {
        var attempt = 1
        while true {
            do {
                let response = try send(method, path, query: query)
                let failure = PrimeroClientError.from(response)
                guard response.status >= 500, attempt < 3, case .retryable(_, let wait) = failure.deliveryResult else {
                    return response
                }
                Thread.sleep(forTimeInterval: min(wait ?? 1, 30))
            } catch {
                guard attempt < 3, case .retryable = error.deliveryResult else { throw error }
                Thread.sleep(forTimeInterval: 1)
            }
            attempt += 1
        }
    }

    private var credentialsRefused: Bool {
        lock.withLock { refusedCredentials }
    }

    /// The error with its URL cut before the query, which may hold an identifier (`unhcr_individual_no=…`)
    /// that must not reach a log line.
    static func withoutQuery(_ error: HTTPClientError) -> HTTPClientError {
        func cut(_ url: String) -> String {
            url.firstIndex(of: "?").map { String(url[..<$0]) + "?…" } ?? url
        }
        switch error {
        case .invalidURL(let url): return .invalidURL(cut(url))
        case .timedOut(let url): return .timedOut(url: cut(url))
        case .connectionFailed(let url, let reason): return .connectionFailed(url: cut(url), reason: reason)
        case .tlsFailed(let url, let reason): return .tlsFailed(url: cut(url), reason: reason)
        case .other(let url, let reason): return .other(url: cut(url), reason: reason)
        }
    }

    static func queryString(_ items: [(String, String)]) -> String {
        guard !items.isEmpty else { return "" }
        return "?" + items.map { "\(pathComponent($0.0))=\(pathComponent($0.1))" }.joined(separator: "&")
    }

    static func pathComponent(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// The cases and the `metadata.total` of a list response.
    static func listPage(_ body: [UInt8]) throws(PrimeroClientError) -> (cases: [JSONValue], total: Int) {
        guard case .object(let fields)? = try? JSONDecoder().decode(JSONValue.self, from: Data(body)),
            case .array(let cases)? = fields["data"]
        else { throw .malformedResponse("a list response without a data list") }
        let total =
            (try? PrimeroValue.integer(
                fields["metadata"].flatMap { value -> JSONValue? in
                    if case .object(let metadata) = value { return metadata["total"] }
                    return nil
                } ?? .null)) ?? cases.count
        return (cases, total)
    }
}
