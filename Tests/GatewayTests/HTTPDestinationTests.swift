import Foundation
import HTTPClient
import Testing

@testable import Gateway

@Suite struct HTTPDestinationTests {
    static func response(_ status: Int, _ headers: [String: String] = [:], body: String = "") -> HTTPClientResponse {
        HTTPClientResponse(status: status, headers: headers, body: Array(body.utf8))
    }

    @Test func mapsStatusesToOutcomes() {
        #expect(HTTPDestination.result(of: Self.response(201)) == .delivered(remoteId: nil))
        #expect(HTTPDestination.result(of: Self.response(401)) == .authenticationFailed(reason: "HTTP 401"))
        #expect(HTTPDestination.result(of: Self.response(403)) == .authenticationFailed(reason: "HTTP 403"))
        #expect(
            HTTPDestination.result(of: Self.response(503, ["retry-after": "7"]))
                == .retryable(reason: "HTTP 503", retryAfterSeconds: 7))
        #expect(
            HTTPDestination.result(of: Self.response(429)) == .retryable(reason: "HTTP 429", retryAfterSeconds: nil))
        #expect(
            HTTPDestination.result(of: Self.response(422, body: "{\"error\":\"sex\"}"))
                == .permanent(reason: "HTTP 422", details: ["{\"error\":\"sex\"}"]))
    }

    @Test func readsRetryAfterAsSecondsOrAnHTTPDate() throws {
        let now = try #require(ISO8601DateFormatter().date(from: "2026-03-01T10:00:00Z"))
        #expect(HTTPDestination.retryAfter("120", now: now) == 120)
        #expect(HTTPDestination.retryAfter("Sun, 01 Mar 2026 10:00:30 GMT", now: now) == 30)
        #expect(HTTPDestination.retryAfter("soon", now: now) == nil)
        #expect(HTTPDestination.retryAfter(nil, now: now) == nil)
    }
}
