/// Sorts the records of one pull by `PullDecision`: the part of `commitPull` both stores share.
///
/// A subject met twice in one pull is judged the second time against its first version, as a second pull
/// would judge it.
struct PulledSubjects {
    let pull: SourcePull
    /// The records to enqueue, each carrying its changed fields.
    private(set) var changed: [NewRecord] = []
    /// What the cursor is to hold for each subject this pull brought news of. An unchanged subject is left
    /// as it is stored, with what the gateway wrote there since its last pull.
    private(set) var updates: [String: HeldSubject] = [:]
    private(set) var unchanged = 0
    private(set) var echoed = 0

    init(pull: SourcePull) {
        self.pull = pull
    }

    /// Judges `record` against `held`, the cursor's memory of its subject (nil for a record without a key or
    /// a subject never seen).
    mutating func take(_ record: NewRecord, held: HeldSubject?) {
        guard let key = record.key else {
            changed.append(record)
            return
        }
        let decision = PullDecision.decide(
            contentHash: record.contentHash, fieldHashes: record.fieldHashes, held: held)
        switch decision {
        case .unchanged:
            unchanged += 1
            return
        case .echo:
            echoed += 1
        case .enqueue(let fields):
            var update = record
            update.changedFields = fields
            changed.append(update)
        }
        updates[key] = HeldSubject(
            contentHash: record.contentHash, fieldHashes: record.fieldHashes ?? held?.fieldHashes, writtenAt: nil)
    }

    /// The counters `commitPull` adds to the source's state.
    var counts:
        (
            pulled: Int64, enqueued: Int64, unchanged: Int64, echoed: Int64, rejected: Int64, files: Int64,
            filesRejected: Int64
        )
    {
        let files: (Int64, Int64) =
            switch pull.file?.outcome {
            case .none: (0, 0)
            case .done: (1, 0)
            case .rejected: (1, 1)
            }
        return (
            Int64(pull.batch.records.count), Int64(changed.count), Int64(unchanged), Int64(echoed),
            Int64(pull.batch.rejectedCount), files.0, files.1
        )
    }

    func summary(batch: String?) -> PullSummary {
        PullSummary(batch: batch, enqueued: changed.count, unchanged: unchanged, echoed: echoed)
    }
}
