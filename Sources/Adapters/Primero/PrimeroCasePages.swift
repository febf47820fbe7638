import PrimesModel

/// One page of Primero's case list, as the server sent it.
public struct PrimeroCasePage: Sendable {
    public let body: [UInt8]
    /// How many cases the page holds.
    public let count: Int
    /// `metadata.total`: how many cases match, over all pages.
    public let total: Int
}

/// Walks Primero's case list page by page to the end, so that a pull never stops at the first 20 cases.
///
/// The first page's total bounds the walk, so a server that keeps answering cannot keep it going; an empty
/// page ends it early.
public final class PrimeroCasePages {
    private let client: PrimeroClient
    private let per: Int
    private let filters: [(String, String)]
    private var page = 1
    private var lastPage = Int.max
    private var finished = false

    /// - Parameters:
    ///   - since: an ISO 8601 date or date-time; only cases updated from then until the pull started.
    public init(client: PrimeroClient, since: String?, pageSize: Int = PrimeroClient.maximumPageSize) {
        self.client = client
        per = max(1, min(pageSize, PrimeroClient.maximumPageSize))
        // Primero filters a date field by a range `FROM..TO`; the upper end is the pull's start, so that a case
        // updated during the pull waits for the next one instead of shifting the pages under this one.
        filters = since.map { [("last_updated_at", "\($0)..\(Timestamp.now())")] } ?? []
    }

    public func next() throws(PrimeroClientError) -> PrimeroCasePage? {
        guard !finished, page <= lastPage else { return nil }
        let result = try client.casePage(page, per: per, filters: filters)
        if lastPage == Int.max { lastPage = max(1, (result.total + per - 1) / per) }
        page += 1
        if result.count == 0 {
            finished = true
            return nil
        }
        return result
    }
}

/// Reads the cases of a pull as canonical records, fetching the next page when the last one is used up.
public final class PrimeroPullReader: RecordReader {
    private let pages: PrimeroCasePages
    private let mapping: PrimeroMapping
    private let receivedAt: String
    private let sourceName: String
    private var current: PrimeroReader?
    private var pageNumber = 0

    public init(pages: PrimeroCasePages, mapping: PrimeroMapping, sourceName: String, receivedAt: String) {
        self.pages = pages
        self.mapping = mapping
        self.sourceName = sourceName
        self.receivedAt = receivedAt
    }

    public func next() throws -> ReadItem? {
        while true {
            if let item = try current?.next() { return item }
            guard let page = try pages.next() else { return nil }
            pageNumber += 1
            current = PrimeroReader(
                source: MemoryInput(page.body, name: "\(sourceName) page \(pageNumber)"),
                mapping: mapping,
                receivedAt: receivedAt
            )
        }
    }
}
