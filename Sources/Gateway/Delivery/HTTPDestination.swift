import Adapters
import Foundation
import HTTPClient
import PrimesModel

/// POSTs each record, in the destination's format, to a partner's URL with an `Idempotency-Key` header.
///
/// Statuses map to outcomes: 2xx delivered; 401 and 403 refused credentials (delivery stops); 408, 425,
/// 429 and 5xx worth retrying, after the partner's `Retry-After` when it gives one; any other 4xx permanent.
public struct HTTPDestination: RecordDestination {
    public let url: String
    public let encoder: PayloadEncoder
    let client: HTTPClient
    let authorization: HTTPAuthorization?

    /// The largest part of a partner's error body kept in a dead letter.
    static let detailLimit = 2048

    public init(url: String, encoder: PayloadEncoder, client: HTTPClient, authorization: HTTPAuthorization?) {
        self.url = url
        self.encoder = encoder
        self.client = client
        self.authorization = authorization
    }

    /// Builds the destination from its configuration, reading its secrets now so that a missing one stops
    /// the start-up rather than every delivery.
    public static func make(_ destination: GatewayConfiguration.Destination, environment: AdapterEnvironment) throws
        -> HTTPDestination
    {
        var configuration = HTTPClientConfiguration(caCertificatePath: destination.caCertificate)
        var authorization: HTTPAuthorization?
        switch destination.auth {
        case .basic(let user, let password): authorization = .basic(user: user, password: try password.read())
        case .bearer(let token): authorization = .bearer(try token.read())
        case .clientCertificate(let certificate, let key):
            configuration.clientCertificatePath = certificate
            configuration.clientKeyPath = key
        case nil: break
        }
        return HTTPDestination(
            url: destination.url ?? "",
            encoder: try PayloadEncoder(
                formatName: destination.format, environment: environment, mapping: destination.mapping),
            client: HTTPClient(configuration: configuration), authorization: authorization)
    }

    public func deliver(_ record: CanonicalRecord, context: DeliveryContext) -> DeliveryResult {
        let body: [UInt8]
        switch encoder.payload(for: record) {
        case .success(let encoded): body = encoded
        case .failure(let failure): return failure.result
        }
        let request = HTTPClientRequest(
            method: "POST", url: url,
            headers: [
                (name: "Content-Type", value: encoder.format.mediaType),
                (name: "Idempotency-Key", value: context.idempotencyKey),
            ],
            body: body, authorization: authorization)
        let response: HTTPClientResponse
        do {
            response = try client.send(request)
        } catch {
            return .retryable(reason: error.description, retryAfterSeconds: nil)
        }
        return Self.result(of: response)
    }

    static func result(of response: HTTPClientResponse) -> DeliveryResult {
        let status = response.status
        switch status {
        case 200..<300:
            return .delivered(remoteId: nil)
        case 401, 403:
            return .authenticationFailed(reason: "HTTP \(status)")
        case 408, 425, 429, 500..<600:
            return .retryable(reason: "HTTP \(status)", retryAfterSeconds: retryAfter(response.header("retry-after")))
        default:
            let detail = String(decoding: response.body.prefix(detailLimit), as: UTF8.self)
            return .permanent(reason: "HTTP \(status)", details: detail.isEmpty ? [] : [detail])
        }
    }

    /// `Retry-After` as seconds: a number of seconds, or an HTTP date.
    static func retryAfter(_ value: String?, now: Date = Date()) -> Double? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Double(value), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}
