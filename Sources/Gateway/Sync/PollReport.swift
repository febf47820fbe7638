import Adapters

/// What one poll of a source did, file by file for a `directory` source.
public struct PollReport: Sendable, Codable, Equatable {
    public struct File: Sendable, Codable, Equatable {
        public var name: String
        public var checksum: String
        public var outcome: ProcessedFile.Outcome
        /// The cursor already held this checksum: nothing was enqueued, the file was only moved.
        public var alreadyProcessed: Bool
        /// Where the file went, relative to the source's folder.
        public var movedTo: String
        public var batch: String?
        public var accepted = 0
        public var enqueued = 0
        public var unchanged = 0
        public var rejected = 0
        public var inputError: String?

        public init(
            name: String, checksum: String, outcome: ProcessedFile.Outcome, alreadyProcessed: Bool, movedTo: String
        ) {
            self.name = name
            self.checksum = checksum
            self.outcome = outcome
            self.alreadyProcessed = alreadyProcessed
            self.movedTo = movedTo
        }
    }

    /// What a `ping` or `primero` poll fetched.
    public struct Pull: Sendable, Codable, Equatable {
        /// The cursor the poll started from; nil for the first poll, which fetches everything.
        public var since: String?
        /// The cursor stored for the next poll.
        public var cursor: String
        public var batch: String?
        public var accepted = 0
        public var enqueued = 0
        public var unchanged = 0
        /// Records that were the gateway's own writes coming back (the loop guard left them out).
        public var echoed = 0
        public var rejected = 0
        /// The first rejections, with their location, fields and rules.
        public var rejections: [RecordRejection] = []

        public init(since: String?, cursor: String) {
            self.since = since
            self.cursor = cursor
        }
    }

    public var source: String
    public var files: [File] = []
    public var pull: Pull?

    public init(source: String) {
        self.source = source
    }

    public var enqueued: Int { files.map(\.enqueued).reduce(0, +) + (pull?.enqueued ?? 0) }
    public var unchanged: Int { files.map(\.unchanged).reduce(0, +) + (pull?.unchanged ?? 0) }
    public var rejected: Int { files.map(\.rejected).reduce(0, +) + (pull?.rejected ?? 0) }
    public var echoed: Int { pull?.echoed ?? 0 }
}
