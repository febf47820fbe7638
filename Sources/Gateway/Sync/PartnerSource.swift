import Adapters
import Foundation

/// Polls a partner system (`ping`, `primero`) for the records changed since its cursor.
///
/// The cursor is a timestamp: the start of the last successful poll, less `overlap`, so that a record
/// changed while a poll was running, or stamped by a partner clock a little behind ours, is fetched again
/// rather than missed. Fetching a record twice is harmless: its content hash is unchanged, so it is not
/// enqueued again. The cursor advances in the transaction that enqueues the records.
///
/// A record the partner sends that PRIMES rejects is counted and skipped; it is fetched again only when it
/// changes at the partner. (Keeping the cursor back for it would fetch everything after it on every poll.)
public struct PartnerSource: Sendable {
    public let source: GatewayConfiguration.Source
    public let destinations: [String]
    /// The destinations that are the system this source pulls from (a withdrawal is not sent back there).
    public let origins: [String]
    public let environment: AdapterEnvironment
    public let store: any SourceStore
    public let open: PullReaders.Open
    /// How far before the poll's start the next poll looks.
    public static let overlapSeconds: Double = 120

    public init(
        source: GatewayConfiguration.Source, destinations: [String], origins: [String] = [],
        environment: AdapterEnvironment, store: any SourceStore, open: @escaping PullReaders.Open
    ) {
        self.source = source
        self.destinations = destinations
        self.origins = origins
        self.environment = environment
        self.store = store
        self.open = open
    }

    public func poll() throws -> PollReport {
        let started = Date()
        let since = try store.sourceStatuses().first { $0.source == source.name }?.cursor
        let reader = try open(source, since, environment, environment.context(mappingOverride: source.mapping))
        var conversion = ConversionReport(from: source.format, to: "outbox")
        let records = try PulledRecords.read(
            reader, validator: environment.validator, fieldHashKey: store.fieldHashKey, report: &conversion)
        let cursor = started.addingTimeInterval(-Self.overlapSeconds).ISO8601Format()
        let summary = try store.commitPull(
            SourcePull(
                source: source.name,
                batch: NewBatch(
                    id: Ingestor.newBatchId(), client: "sync:" + source.name, sourceFormat: source.format,
                    records: records, rejectedCount: conversion.rejectedCount, destinations: destinations,
                    origins: origins),
                cursor: cursor),
            now: Date().timeIntervalSince1970)
        var pull = PollReport.Pull(since: since, cursor: cursor)
        pull.batch = summary.batch
        pull.accepted = records.count
        pull.enqueued = summary.enqueued
        pull.unchanged = summary.unchanged
        pull.echoed = summary.echoed
        pull.rejected = conversion.rejectedCount
        pull.rejections = Array(conversion.rejected.prefix(100))
        var report = PollReport(source: source.name)
        report.pull = pull
        return report
    }
}
