import Adapters
import HTTPServer

/// The JSON error list every API error answers with: `{"errors":[{"code","message"}], "rejected":[…]}`.
struct APIErrorList: Encodable {
    struct Entry: Encodable {
        let code: String
        let message: String
    }

    let errors: [Entry]
    /// For 422 on a body whose records were all refused: each record's location and problems.
    let rejected: [RecordRejection]?

    static func response(_ status: Int, _ code: String, _ message: String, rejected: [RecordRejection]? = nil)
        -> HTTPResponse
    {
        .json(status, APIErrorList(errors: [Entry(code: code, message: message)], rejected: rejected))
    }
}

/// The body of a 202 answer to an ingest.
struct IngestAnswer: Encodable {
    let batch: String
    let accepted: Int
    let unchanged: Int
    let rejected: [RecordRejection]

    /// The 202 response. The common answer (every record accepted, a gateway-made batch id) is written
    /// directly, in the very bytes `HTTPResponse.json` gives, because JSONEncoder cost a twentieth of an
    /// ingest's time; anything else goes through JSONEncoder.
    var response: HTTPResponse {
        let plainId = batch.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-")
        }
        guard rejected.isEmpty, plainId else { return .json(202, self) }
        // Appended as bytes: string interpolation of the same cost more than the rest of the answer.
        var body: [UInt8] = []
        body.reserveCapacity(96 + batch.utf8.count)
        body += #"{"accepted":"#.utf8
        body += String(accepted).utf8
        body += #","batch":""#.utf8
        body += batch.utf8
        body += #"","rejected":[],"unchanged":"#.utf8
        body += String(unchanged).utf8
        body.append(UInt8(ascii: "}"))
        return HTTPResponse(status: 202, headers: [(name: "Content-Type", value: "application/json")], body: body)
    }
}

/// Media types compared by family: a body labelled `application/json` is accepted for an NDJSON format, but
/// `text/plain` or a form is not (415).
enum MediaType {
    static func accepts(_ declared: String?, for format: RecordFormat) -> Bool {
        guard let declared else { return false }
        // Most clients send exactly the format's own type.
        if declared == format.mediaType { return true }
        let base = declared.split(separator: ";").first.map { $0.trimmingSpaces().lowercased() }
        guard let base, !base.isEmpty else { return false }
        return base == format.mediaType.lowercased() || family(base) == family(format.mediaType.lowercased())
    }

    private static func family(_ type: String) -> String {
        for family in ["json", "xml", "csv"] where type.contains(family) { return family }
        return type
    }
}
