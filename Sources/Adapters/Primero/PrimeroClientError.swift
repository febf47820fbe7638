import Foundation
import HTTPClient
import PrimesModel

/// Why a request to Primero failed, and what the gateway should do about it.
///
/// Messages carry statuses, error codes and JSON pointers, never a field's value.
public enum PrimeroClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 401: the credentials were refused. Never retried: six failures lock the account for 30 minutes.
    case authenticationFailed
    /// Any other status than the one expected, with Primero's `detail` pointers (422) or error codes.
    case http(status: Int, details: [String], retryAfterSeconds: Double? = nil)
    case transport(HTTPClientError)
    case malformedResponse(String)
    /// The person has no proGres individual id, from which the case id is derived.
    case noIndividualId
    /// A lookup by a field matched several enabled cases; the client will not pick one.
    case severalMatches(count: Int)
    /// The server answered a filtered list with cases that do not match: it dropped the filter, which Primero
    /// does for a field the account may not read.
    case filterIgnored(field: String)

    public var description: String {
        switch self {
        case .authenticationFailed:
            "Primero refused the credentials (401); stopped without retrying, as 6 failures lock the account"
        case .http(let status, let details, _):
            "Primero answered \(status)" + (details.isEmpty ? "" : ": " + details.joined(separator: ", "))
        case .transport(let error): "\(error)"
        case .malformedResponse(let what): "Primero's answer is not what its API returns: \(what)"
        case .noIndividualId: "the person has no proGres individual id to derive the Primero case id from"
        case .severalMatches(let count):
            "\(count) enabled Primero cases carry this person's unhcr_individual_no; refusing to pick one"
        case .filterIgnored(let field):
            "Primero ignored the \(field) filter (the account may not read that field); cannot look cases up"
        }
    }

    /// The outcome the gateway's delivery loop acts on.
    public var deliveryResult: DeliveryResult {
        switch self {
        case .authenticationFailed:
            return .authenticationFailed(reason: description)
        case .http(let status, let details, let retryAfter):
            if status == 503 || status == 429 || status >= 500 || status == 408 {
                return .retryable(reason: "Primero answered \(status)", retryAfterSeconds: retryAfter)
            }
            return .permanent(reason: "Primero answered \(status)", details: details)
        case .transport(let error):
            switch error {
            case .timedOut, .connectionFailed, .other:
                return .retryable(reason: error.description, retryAfterSeconds: nil)
            case .tlsFailed, .invalidURL:
                return .permanent(reason: error.description, details: [])
            }
        case .malformedResponse, .noIndividualId, .severalMatches, .filterIgnored:
            return .permanent(reason: description, details: [])
        }
    }

    /// The error for a response whose status was not the expected one.
    static func from(_ response: HTTPClientResponse) -> PrimeroClientError {
        if response.status == 401 { return .authenticationFailed }
        return .http(
            status: response.status,
            details: errorDetails(response.body),
            retryAfterSeconds: response.header("retry-after").flatMap(retryAfterSeconds)
        )
    }

    /// Primero's `errors[].detail` (JSON pointers such as `/data/age`), else the errors' codes.
    static func errorDetails(_ body: [UInt8]) -> [String] {
        guard case .object(let fields)? = try? JSONDecoder().decode(JSONValue.self, from: Data(body)),
            case .array(let errors)? = fields["errors"]
        else { return [] }
        var details: [String] = []
        for case .object(let error) in errors {
            switch error["detail"] {
            case .array(let pointers)?: details += pointers.compactMap(\.scalarText)
            case .string(let pointer)?: details.append(pointer)
            default: if let code = error["code"]?.scalarText { details.append(code) }
            }
        }
        return details
    }

    /// `Retry-After` as seconds, from either of its forms (a number of seconds or an HTTP date).
    static func retryAfterSeconds(_ value: String) -> Double? {
        if let seconds = Double(value.trimmingWhitespace), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return max(0, date.timeIntervalSinceNow)
    }
}
