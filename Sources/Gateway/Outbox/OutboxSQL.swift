import Foundation

/// The outbox statements both stores run alike, written once with SQLite's numbered parameters (`?1`), with
/// the values made of their rows. PostgreSQL takes the same text with `$1` (`postgres(_:)`).
enum OutboxSQL {
    /// `sql` with PostgreSQL's parameter marks. The shared statements hold no other question mark.
    static func postgres(_ sql: String) -> String {
        sql.replacingOccurrences(of: "?", with: "$")
    }

    /// Empties (to `?2`, an empty blob) the payloads of the records received before `?1` whose deliveries
    /// are all delivered.
    static let erasePayloads =
        "UPDATE records SET payload = ?2 WHERE length(payload) > 0 "
        + "AND batch_id IN (SELECT id FROM batches WHERE received_at < ?1) "
        + "AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.record_id = records.id "
        + "AND d.state NOT IN ('delivered', 'dismissed')) "
        + "RETURNING records.id"

    /// At most `?2` records received before `?1` with a payload and every delivery done: `erasePayloads`'s
    /// rows, found apart so that SQLite looks for them without its write lock.
    static let erasableRecords =
        "SELECT r.id FROM batches b JOIN records r ON r.batch_id = b.id WHERE b.received_at < ?1 "
        + "AND length(r.payload) > 0 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.record_id = r.id "
        + "AND d.state NOT IN ('delivered', 'dismissed')) LIMIT ?2"

    /// Empties (to `?2`) the payload of record `?1` when every delivery of it is done.
    static let eraseRecord =
        "UPDATE records SET payload = ?2 WHERE id = ?1 AND length(payload) > 0 AND NOT EXISTS (SELECT 1 FROM "
        + "deliveries d WHERE d.record_id = records.id AND d.state NOT IN ('delivered', 'dismissed')) RETURNING id"

    /// The destinations holding record key `?1` and the content hash each holds, in name order: where a
    /// withdrawal of its consent goes.
    static let holders =
        "SELECT destination, content_hash FROM crosswalk WHERE record_key = ?1 ORDER BY destination"

    /// At most `?2` batches received before `?1` whose every delivery is delivered or dismissed (or that have
    /// none).
    static let prunableBatches =
        "SELECT b.id FROM batches b WHERE b.received_at < ?1 AND NOT EXISTS (SELECT 1 FROM records r "
        + "JOIN deliveries d ON d.record_id = r.id WHERE r.batch_id = b.id AND d.state NOT IN ('delivered', 'dismissed')) "
        + "LIMIT ?2"

    /// A row when batch `?1` has a delivery neither delivered nor dismissed: looked at again in the deleting
    /// transaction.
    static let batchStillWaiting =
        "SELECT 1 FROM records r JOIN deliveries d ON d.record_id = r.id "
        + "WHERE r.batch_id = ?1 AND d.state NOT IN ('delivered', 'dismissed') LIMIT 1"

    /// Deletes batch `?1` and its rows, children first; the last returns the batch's id when it was there.
    static let pruneBatch = [
        "DELETE FROM dead_letters WHERE delivery_id IN "
            + "(SELECT d.id FROM deliveries d JOIN records r ON r.id = d.record_id WHERE r.batch_id = ?1)",
        "DELETE FROM deliveries WHERE record_id IN (SELECT id FROM records WHERE batch_id = ?1)",
        "DELETE FROM records WHERE batch_id = ?1",
        "DELETE FROM batches WHERE id = ?1 RETURNING id",
    ]

    static let batchHead =
        "SELECT client, source_format, received_at, accepted, rejected FROM batches WHERE id = ?1"

    static let batchDeliveries =
        "SELECT r.position, d.destination, d.state, d.attempts, d.last_error, d.unchanged "
        + "FROM records r JOIN deliveries d ON d.record_id = r.id WHERE r.batch_id = ?1 "
        + "ORDER BY r.position, d.destination"

    /// A batch's status from its `batchHead` row and its `batchDeliveries` rows.
    static func batchStatus(_ id: String, head: [SQLValue], deliveries rows: [[SQLValue]]) -> BatchStatus {
        var records: [BatchStatus.Record] = []
        for row in rows {
            let position = Int(row[0].integer ?? 0)
            let delivery = BatchStatus.Delivery(
                destination: row[1].text ?? "", state: DeliveryState(rawValue: row[2].text ?? "") ?? .queued,
                attempts: Int(row[3].integer ?? 0), lastError: row[4].text, unchanged: row[5].integer == 1)
            if records.last?.position == position {
                records[records.count - 1].deliveries.append(delivery)
            } else {
                records.append(BatchStatus.Record(position: position, deliveries: [delivery]))
            }
        }
        return BatchStatus(
            batch: id, client: head[0].text ?? "", format: head[1].text ?? "", receivedAt: head[2].real ?? 0,
            accepted: Int(head[3].integer ?? 0), rejected: Int(head[4].integer ?? 0), records: records)
    }

    static let deadLetters =
        "SELECT l.id, l.delivery_id, r.batch_id, l.destination, l.reason, l.details, l.created_at "
        + "FROM dead_letters l JOIN deliveries d ON d.id = l.delivery_id "
        + "JOIN records r ON r.id = d.record_id WHERE l.replayed_at IS NULL AND l.dismissed_at IS NULL "
        + "ORDER BY l.id LIMIT ?1"

    /// Closes open dead letter `?2` at `?1`, returning its delivery.
    static let dismissDeadLetter =
        "UPDATE dead_letters SET dismissed_at = ?1 WHERE id = ?2 AND replayed_at IS NULL AND dismissed_at IS NULL "
        + "RETURNING delivery_id"

    /// Marks delivery `?1` dismissed.
    static let dismissDelivery = "UPDATE deliveries SET state = 'dismissed' WHERE id = ?1"

    static func deadLetter(_ row: [SQLValue]) -> DeadLetter {
        let details = (row[5].text).flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
        return DeadLetter(
            id: row[0].integer ?? 0, delivery: row[1].integer ?? 0, batch: row[2].text ?? "",
            destination: row[3].text ?? "", reason: row[4].text ?? "", details: details ?? [],
            createdAt: row[6].real ?? 0)
    }

    static let counts =
        "SELECT destination, state, COUNT(*) FROM deliveries GROUP BY destination, state ORDER BY destination, state"

    static func deliveryCount(_ row: [SQLValue]) -> DeliveryCount? {
        guard let destination = row[0].text, let state = row[1].text.flatMap(DeliveryState.init) else { return nil }
        return DeliveryCount(destination: destination, state: state, count: Int(row[2].integer ?? 0))
    }
}
