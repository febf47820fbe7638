import Foundation

/// The answer a handler gives to one request.
public struct HTTPResponse: Sendable {
    /// The status code, such as 200 or 404.
    public var status: Int
    /// Headers in the order they are sent. The server adds `Content-Length` itself.
    public var headers: [(name: String, value: String)]
    /// The response body.
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response with sorted keys and `Content-Type: application/json`.
    ///
    /// A value that cannot be encoded gives a 500 response with an `encoding_failed` error list instead, so a
    /// handler never has to deal with an encoding error.
    public static func json(_ status: Int, _ value: some Encodable) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let contentType = [(name: "Content-Type", value: "application/json")]
        guard let data = try? encoder.encode(value) else {
            let fallback = #"{"errors":[{"code":"encoding_failed","message":"the response could not be encoded"}]}"#
            return HTTPResponse(status: 500, headers: contentType, body: Array(fallback.utf8))
        }
        return HTTPResponse(status: status, headers: contentType, body: Array(data))
    }

    /// A text response, UTF-8 plain text unless `contentType` says otherwise.
    public static func text(
        _ status: Int,
        _ text: String,
        contentType: String = "text/plain; charset=utf-8"
    ) -> HTTPResponse {
        HTTPResponse(status: status, headers: [(name: "Content-Type", value: contentType)], body: Array(text.utf8))
    }

    /// The JSON error list the gateway's API answers with: `{"errors":[{"code":…,"message":…}]}`.
    public static func error(_ status: Int, code: String, message: String) -> HTTPResponse {
        json(status, ErrorList(errors: [ErrorList.Entry(code: code, message: message)]))
    }
}

/// The body of an error response.
private struct ErrorList: Encodable {
    struct Entry: Encodable {
        let code: String
        let message: String
    }

    let errors: [Entry]
}
