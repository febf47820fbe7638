import Adapters
import Foundation
import HTTPServer
import Testing

@testable import Gateway

/// The 202 body written without JSONEncoder is byte for byte what JSONEncoder writes.
@Suite struct IngestAnswerTests {
    @Test(arguments: [
        IngestAnswer(batch: "b-019ae5c1-7f3a-7c11-9a2b-3c4d5e6f7a8b", accepted: 1, unchanged: 0, rejected: []),
        IngestAnswer(batch: "b-x", accepted: 20_000, unchanged: 17, rejected: []),
        IngestAnswer(batch: "b-\"quoted\"/slash", accepted: 3, unchanged: 1, rejected: []),
    ])
    func theDirectBodyIsTheEncodersBody(answer: IngestAnswer) {
        let direct = answer.response
        let encoded = HTTPResponse.json(202, answer)
        #expect(direct.status == 202)
        #expect(String(decoding: direct.body, as: UTF8.self) == String(decoding: encoded.body, as: UTF8.self))
        #expect(direct.headers.map(\.name) == encoded.headers.map(\.name))
        #expect(direct.headers.map(\.value) == encoded.headers.map(\.value))
    }
}
