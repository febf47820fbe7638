import Foundation
import HTTPServer
import PrimesModel

/// A Primero v2 API on loopback TLS, behaving as `primero.md` records the real one does, for tests that drive
/// the real `PrimeroClient` over libcurl.
///
/// It keeps cases in memory and implements: HTTP Basic (and Bearer) sign-in with a lockout after six failures;
/// POST with a client-chosen id (204, then 409 on a repeat); a strict schema that answers 422 with JSON pointers
/// for an unknown key or a wrong type; PATCH deep merge with subform rows matched by `unique_id` (and
/// `_destroy`), refusing the update-forbidden keys; list filters (a filter on a field the account may not read
/// is silently dropped), `record_state`, `last_updated_at` ranges and pagination (`per` up to 1000); and 503
/// with `Retry-After` on demand.
public final class PrimeroSimulator: @unchecked Sendable {
    /// A value type of the simulated schema.
    public enum FieldKind: Sendable {
        case text, integer, boolean, date, lookup, lookups, subform
    }

    /// The case fields the simulated instance's forms have, with their types.
    public static let schema: [String: FieldKind] = {
        var schema: [String: FieldKind] = [:]
        let text = [
            "id", "unhcr_individual_no", "unhcr_id_no", "national_id_no", "ration_card_no", "icrc_ref_no", "rc_id_no",
            "un_no", "name_first", "name_middle", "name_last", "name_nickname", "name_other", "telephone_current",
            "address_current", "location_current", "occupation", "family_number", "other_id_type", "other_id_no",
            "other_agency_id", "other_agency_name", "disability_type", "module_id", "status", "owned_by",
        ]
        for name in text { schema[name] = .text }
        for name in ["sex", "country_of_origin", "maritial_status", "displacement_status", "protection_status"] {
            schema[name] = .lookup
        }
        for name in ["nationality", "unhcr_needs_codes", "language", "religion", "ethnicity", "protection_concerns"] {
            schema[name] = .lookups
        }
        for name in ["date_of_birth", "registration_date", "arrival_date", "identification_date"] {
            schema[name] = .date
        }
        schema["age"] = .integer
        for name in [
            "estimated", "consent_for_services", "consent_reporting", "consent_for_tracing", "disclosure_other_orgs",
            "unhcr_export_opt_in",
        ] {
            schema[name] = .boolean
        }
        schema["family_details_section"] = .subform
        schema["services_section"] = .subform
        return schema
    }()

    /// Keys the server sets, which a request may not carry.
    static let serverKeys: Set<String> = [
        "case_id", "case_id_display", "short_id", "unique_identifier", "created_at", "created_by", "last_updated_at",
        "record_state", "enabled", "name", "owned_by_groups",
    ]
    static let updateForbidden: Set<String> = [
        "id", "unique_identifier", "unique_id", "short_id", "created_at", "created_by", "case_id", "case_id_display",
    ]

    /// What the simulator saw, for the tests' expectations.
    public struct Counts: Sendable, Equatable {
        public var created = 0
        public var conflicts = 0
        public var patched = 0
        public var refused422 = 0
        public var refused401 = 0
        public var listed = 0
        public var fetched = 0
        public var unavailable = 0

        public init() {}
    }

    public let user: String
    public let password: String
    public let bearerToken: String
    private let lock = NSLock()
    private var cases: [String: [String: JSONValue]] = [:]
    private var order: [String] = []
    private var byIndividual: [String: [String]] = [:]
    private var failedSignIns = 0
    private var clock = 0
    private var tally = Counts()
    private var unavailableAnswers = 0
    private var delayedAnswers: (count: Int, seconds: Double) = (0, 0)
    private var lastPatchKeys: [[String]] = []
    private var unreadable: Set<String> = []
    private var server: HTTPServer?
    private let wallClock: Bool

    /// Starts the simulator on 127.0.0.1 with the test CA's server certificate.
    ///
    /// - Parameter wallClock: stamp `last_updated_at` with the real time (to the second), for tests whose
    ///   gateway asks for cases updated since a real cursor; otherwise a made-up clock one second a step
    ///   from 2026-01-01T00:00:01Z.
    public init(
        user: String = "gateway-sync", password: String = "s1mulated-Pass", bearerToken: String = "sso-token",
        wallClock: Bool = false
    ) throws {
        self.user = user
        self.password = password
        self.bearerToken = bearerToken
        self.wallClock = wallClock
        let certificates = try TestCertificates.shared()
        let configuration = HTTPServerConfiguration(
            tls: TLSServerConfiguration(
                certificatePath: certificates.serverCertificate, privateKeyPath: certificates.serverKey),
            threadCount: 4
        )
        server = try HTTPServer(configuration: configuration) { [weak self] request in
            guard let self else { return HTTPResponse(status: 503) }
            return self.handle(request)
        }
    }

    deinit {
        server?.stop()
    }

    /// `https://127.0.0.1:PORT`, the instance's address.
    public var baseURL: String {
        "https://127.0.0.1:\(server?.port ?? 0)"
    }

    /// Stops listening, after the answers in progress. A test that leaves a request unanswered (a timeout)
    /// calls it, so that the simulator is not released, and stopped, on one of the server's own threads.
    public func stop() {
        server?.stop()
    }

    // MARK: - Test controls

    public var counts: Counts { locked { tally } }
    public var caseCount: Int { locked { cases.count } }
    /// The keys of every PATCH body's `data`, in order.
    public var patchedKeys: [[String]] { locked { lastPatchKeys } }
    public var isLocked: Bool { locked { failedSignIns >= 6 } }

    public func storedCase(_ id: String) -> [String: JSONValue]? {
        locked { cases[id] }
    }

    /// The ids of the cases whose `unhcr_individual_no` is `number`.
    public func caseIds(individual number: String) -> [String] {
        locked { byIndividual[number] ?? [] }
    }

    /// Changes fields of a case as a caseworker would in Primero's own forms: no API call is counted, and
    /// `last_updated_at` moves on.
    public func amend(_ id: String, _ fields: [String: JSONValue]) {
        locked {
            guard var stored = cases[id] else { return }
            stored.merge(fields) { _, new in new }
            stored["last_updated_at"] = .string(nextTimestamp())
            cases[id] = stored
        }
    }

    /// Answers the next `count` requests with 503 and `Retry-After: seconds`.
    public func beUnavailable(for count: Int) {
        locked { unavailableAnswers = count }
    }

    /// Answers the next `count` requests only after `seconds`, as an overloaded server does.
    public func beSlow(for count: Int, seconds: Double) {
        locked { delayedAnswers = (count, seconds) }
    }

    /// Makes filters on these fields silently ignored, as for an account that may not read them.
    public func hideFields(_ fields: Set<String>) {
        locked { unreadable = fields }
    }

    /// Stores cases as if caseworkers had created them (server keys filled in), bypassing the API.
    public func seed(_ seeded: [[String: JSONValue]]) {
        locked {
            for var fields in seeded {
                let id = fields["id"]?.scalarText ?? UUID().uuidString.lowercased()
                fields["id"] = .string(id)
                if fields["record_state"] == nil { fields["record_state"] = .bool(true) }
                if fields["last_updated_at"] == nil { fields["last_updated_at"] = .string(nextTimestamp()) }
                if cases[id] == nil {
                    order.append(id)
                    if let number = fields["unhcr_individual_no"]?.scalarText {
                        byIndividual[number, default: []].append(id)
                    }
                }
                cases[id] = fields
            }
        }
    }

    // MARK: - Requests

    private func handle(_ request: HTTPRequest) -> HTTPResponse {
        let delay = locked { () -> Double in
            guard delayedAnswers.count > 0 else { return 0 }
            delayedAnswers.count -= 1
            return delayedAnswers.seconds
        }
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        lock.lock()
        defer { lock.unlock() }
        if unavailableAnswers > 0 {
            unavailableAnswers -= 1
            tally.unavailable += 1
            var response = Self.errors(503, "The server is being configured", details: [])
            response.headers.append((name: "Retry-After", value: "1"))
            return response
        }
        guard authenticated(request) else {
            tally.refused401 += 1
            return Self.errors(401, "Unauthorized", details: [])
        }
        let parts = request.path.split(separator: "/").map(String.init)
        guard parts.count >= 3, parts[0] == "api", parts[1] == "v2", parts[2] == "cases" else {
            return Self.errors(404, "Not found", details: [])
        }
        let id = parts.count > 3 ? parts[3].removingPercentEncoding : nil
        switch (request.method, id) {
        case ("GET", nil): return list(request)
        case ("POST", nil): return create(request)
        case ("GET", let id?): return fetch(id)
        case ("PATCH", let id?): return update(id, request)
        case ("DELETE", let id?): return disable(id)
        default: return Self.errors(404, "Not found", details: [])
        }
    }

    private func authenticated(_ request: HTTPRequest) -> Bool {
        guard let header = request.header("authorization") else { return false }
        if header == "Bearer \(bearerToken)" { return true }
        guard header.hasPrefix("Basic "), let decoded = Data(base64Encoded: String(header.dropFirst(6))) else {
            return false
        }
        // A locked account refuses even the right password, as Primero does for 30 minutes.
        if failedSignIns < 6 && String(decoding: decoded, as: UTF8.self) == "\(user):\(password)" { return true }
        failedSignIns += 1
        return false
    }

    private func create(_ request: HTTPRequest) -> HTTPResponse {
        guard let data = Self.data(of: request) else { return Self.errors(422, "Invalid JSON", details: ["/data"]) }
        var pointers = Self.validate(data)
        pointers += data.keys.filter { Self.serverKeys.contains($0) }.map { "/data/\($0)" }
        if data["module_id"] == nil { pointers.append("/data/module_id") }
        guard pointers.isEmpty else {
            tally.refused422 += 1
            return Self.errors(422, "Invalid record JSON", details: pointers.sorted())
        }
        let id = data["id"]?.scalarText ?? UUID().uuidString.lowercased()
        if cases[id] != nil {
            tally.conflicts += 1
            return Self.errors(409, "A record with this id already exists", details: [])
        }
        var fields = data
        fields["id"] = .string(id)
        fields["case_id"] = .string(UUID().uuidString.lowercased())
        fields["short_id"] = .string(String(id.suffix(7)))
        fields["record_state"] = .bool(true)
        let now = nextTimestamp()
        fields["created_at"] = .string(now)
        fields["last_updated_at"] = .string(now)
        cases[id] = fields
        order.append(id)
        if let number = fields["unhcr_individual_no"]?.scalarText { byIndividual[number, default: []].append(id) }
        tally.created += 1
        return data["id"] == nil
            ? HTTPResponse.json(200, ["data": JSONValue.object(fields)]) : HTTPResponse(status: 204)
    }

    private func update(_ id: String, _ request: HTTPRequest) -> HTTPResponse {
        guard var fields = cases[id] else { return Self.errors(404, "Not found", details: []) }
        guard let data = Self.data(of: request) else { return Self.errors(422, "Invalid JSON", details: ["/data"]) }
        var pointers = Self.validate(data)
        pointers += data.keys.filter { Self.updateForbidden.contains($0) || Self.serverKeys.contains($0) }
            .map { "/data/\($0)" }
        guard pointers.isEmpty else {
            tally.refused422 += 1
            return Self.errors(422, "Invalid record JSON", details: pointers.sorted())
        }
        for (key, value) in data {
            if Self.schema[key] == .subform {
                fields[key] = Self.mergeRows(value, into: fields[key] ?? .array([]))
            } else {
                fields[key] = value
            }
        }
        fields["last_updated_at"] = .string(nextTimestamp())
        cases[id] = fields
        tally.patched += 1
        lastPatchKeys.append(data.keys.sorted())
        return HTTPResponse.json(200, ["data": JSONValue.object(fields)])
    }

    private func fetch(_ id: String) -> HTTPResponse {
        tally.fetched += 1
        guard let fields = cases[id] else { return Self.errors(404, "Not found", details: []) }
        return HTTPResponse.json(200, ["data": JSONValue.object(fields)])
    }

    private func disable(_ id: String) -> HTTPResponse {
        guard cases[id] != nil else { return Self.errors(404, "Not found", details: []) }
        cases[id]?["record_state"] = .bool(false)
        return HTTPResponse.json(200, ["data": ["id": JSONValue.string(id)]])
    }

    private func list(_ request: HTTPRequest) -> HTTPResponse {
        tally.listed += 1
        let page = max(1, Int(request.query("page") ?? "") ?? 1)
        let per = min(1000, max(1, Int(request.query("per") ?? "") ?? 20))
        // Lookups by individual number are most requests in a push: start them from the matching cases only.
        var selected: [[String: JSONValue]]
        if let number = request.query("unhcr_individual_no"), !unreadable.contains("unhcr_individual_no") {
            selected = (byIndividual[number] ?? []).compactMap { cases[$0] }
        } else {
            selected = order.compactMap { cases[$0] }
        }
        if request.query("record_state") == "true" {
            selected = selected.filter { $0["record_state"] == .bool(true) }
        }
        for (name, value) in request.queryItems where Self.schema[name] != nil && !unreadable.contains(name) {
            selected = selected.filter { fields in
                switch fields[name] {
                case .array(let items)?: items.contains { $0.scalarText == value }
                case let item?: item.scalarText == value
                case nil: false
                }
            }
        }
        if let range = request.query("last_updated_at") {
            let bounds = range.components(separatedBy: "..")
            selected = selected.filter { fields in
                let updated = fields["last_updated_at"]?.scalarText ?? ""
                return updated >= bounds[0] && (bounds.count < 2 || bounds[1].isEmpty || updated <= bounds[1])
            }
        }
        let start = min(selected.count, (page - 1) * per)
        let slice = Array(selected[start..<min(selected.count, start + per)]).map { JSONValue.object($0) }
        let metadata: JSONValue = .object([
            "total": .number(Double(selected.count)), "per": .number(Double(per)), "page": .number(Double(page)),
        ])
        return HTTPResponse.json(200, ["data": JSONValue.array(slice), "metadata": metadata])
    }

    // MARK: - Schema

    /// JSON pointers of every key the strict schema refuses: unknown keys and values of the wrong type.
    static func validate(_ data: [String: JSONValue]) -> [String] {
        var pointers: [String] = []
        for (key, value) in data {
            guard let kind = schema[key] else {
                if !serverKeys.contains(key) { pointers.append("/data/\(key)") }
                continue
            }
            if value == .null { continue }
            if !valid(value, as: kind) { pointers.append("/data/\(key)") }
        }
        return pointers
    }

    private static func valid(_ value: JSONValue, as kind: FieldKind) -> Bool {
        switch (kind, value) {
        case (.text, .string), (.lookup, .string), (.boolean, .bool): return true
        case (.integer, .number(let number)): return number.rounded() == number
        case (.date, .string(let text)):
            return text.count == 10 && (try? PartialDate(iso: text))?.precision == .day
        case (.lookups, .array(let items)):
            return items.allSatisfy { if case .string = $0 { true } else { false } }
        case (.subform, .array(let rows)):
            return rows.allSatisfy { row in
                guard case .object(let fields) = row, case .string(let id)? = fields["unique_id"] else { return false }
                return UUID(uuidString: id) != nil
            }
        default: return false
        }
    }

    /// Merges PATCH rows into stored rows by `unique_id`; `_destroy: true` removes a row.
    private static func mergeRows(_ patch: JSONValue, into stored: JSONValue) -> JSONValue {
        guard case .array(let newRows) = patch, case .array(var rows) = stored else { return patch }
        for case .object(let newRow) in newRows {
            let position = rows.firstIndex { row in
                if case .object(let fields) = row { return fields["unique_id"] == newRow["unique_id"] }
                return false
            }
            if newRow["_destroy"] == .bool(true) {
                if let position { rows.remove(at: position) }
            } else if let position, case .object(var fields) = rows[position] {
                for (key, value) in newRow { fields[key] = value }
                rows[position] = .object(fields)
            } else {
                rows.append(.object(newRow))
            }
        }
        return .array(rows)
    }

    private static func data(of request: HTTPRequest) -> [String: JSONValue]? {
        guard case .object(let body)? = try? JSONDecoder().decode(JSONValue.self, from: Data(request.body)),
            case .object(let data)? = body["data"]
        else { return nil }
        return data
    }

    private static func errors(_ status: Int, _ message: String, details: [String]) -> HTTPResponse {
        let error: JSONValue = .object([
            "code": .number(Double(status)), "resource": "/api/v2/cases", "message": .string(message),
            "detail": .array(details.map { .string($0) }),
        ])
        return HTTPResponse.json(status, ["errors": JSONValue.array([error])])
    }

    /// A strictly increasing ISO 8601 time, one second a change, from 2026-01-01.
    private func nextTimestamp() -> String {
        if wallClock { return Date().ISO8601Format() }
        clock += 1
        let date = Date(timeIntervalSince1970: 1_767_225_600 + Double(clock))
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: date)
    }

    private func locked<Value>(_ body: () -> Value) -> Value {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}
