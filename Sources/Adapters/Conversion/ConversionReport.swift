import PrimesModel

/// What a conversion did: records in and out, records rejected and why, fields kept in extensions, and
/// fields the target format cannot hold. The CLI writes it with `--report FILE`; the server returns it.
public struct ConversionReport: Sendable, Codable {
    /// How many rejections and warnings are kept in full; beyond it only the counts grow, so a report
    /// stays small whatever the input's size.
    public static let detailLimit = 10_000

    public var from: String
    public var to: String
    public var recordsIn = 0
    public var recordsOut = 0
    public var rejectedCount = 0
    public var rejected: [RecordRejection] = []
    public var warningCount = 0
    public var warnings: [RecordRejection] = []
    /// Source fields kept in `extensions`, with how many records had each.
    public var keptInExtensions: [String: Int] = [:]
    /// Canonical fields the target format could not hold, with how many records had each.
    public var notHeldByTarget: [String: Int] = [:]

    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }

    public mutating func reject(_ rejection: RecordRejection) {
        rejectedCount += 1
        if rejected.count < Self.detailLimit { rejected.append(rejection) }
    }

    public mutating func warn(_ location: RecordLocation, _ issues: [FieldIssue]) {
        guard !issues.isEmpty else { return }
        warningCount += issues.count
        if warnings.count < Self.detailLimit { warnings.append(RecordRejection(location: location, issues: issues)) }
    }

    public mutating func kept(_ fields: [String]) {
        for field in fields { keptInExtensions[field, default: 0] += 1 }
    }

    public mutating func notHeld(_ fields: [String]) {
        for field in fields { notHeldByTarget[field, default: 0] += 1 }
    }
}
