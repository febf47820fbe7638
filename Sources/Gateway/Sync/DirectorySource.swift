import Adapters
import Foundation
import PrimesModel

/// Polls a `directory` source: every file dropped in its folder is converted, its accepted records enqueued,
/// and the file moved to `done/`, or to `rejected/` with a JSON report beside it.
///
/// The order of steps is what makes a crash harmless: the report is written first (rewriting it is
/// harmless), then the records are enqueued in the transaction that records the file's checksum, and only
/// then is the file moved. A file found again after a crash between the commit and the move is recognised
/// by its checksum and only moved.
public struct DirectorySource: Sendable {
    public let source: GatewayConfiguration.Source
    public let folder: String
    public let destinations: [String]
    public let environment: AdapterEnvironment
    public let store: any SourceStore

    /// The folders processed files are moved to, inside the source's folder.
    public static let doneFolder = "done"
    public static let rejectedFolder = "rejected"

    public init(
        source: GatewayConfiguration.Source, destinations: [String], environment: AdapterEnvironment,
        store: any SourceStore
    ) throws(SyncError) {
        guard let folder = source.path else { throw .notADirectory(source: source.name, path: "") }
        self.source = source
        self.folder = folder
        self.destinations = destinations
        self.environment = environment
        self.store = store
    }

    /// Processes every file waiting in the folder, in name order.
    public func poll() throws -> PollReport {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw SyncError.notADirectory(source: source.name, path: folder)
        }
        for name in [Self.doneFolder, Self.rejectedFolder] {
            try FileManager.default.createDirectory(
                atPath: folder + "/" + name, withIntermediateDirectories: true)
        }
        var report = PollReport(source: source.name)
        for name in try waitingFiles() {
            report.files.append(try process(name))
        }
        return report
    }

    /// Regular files directly in the folder, sorted. Names starting with a dot are left alone: uploads in
    /// progress are commonly written under such a name and renamed when complete.
    func waitingFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { name in
            guard !name.hasPrefix(".") else { return false }
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isFolder)
                && !isFolder.boolValue
        }.sorted()
    }

    private func process(_ name: String) throws -> PollReport.File {
        let path = folder + "/" + name
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw SyncError.unreadableFile(source: source.name, file: name)
        }
        let checksum = sha256Hex(bytes)
        if let earlier = try store.processedFile(source: source.name, checksum: checksum) {
            // Processed before (a crash came before the move, or the same file was dropped again).
            let movedTo = try move(name, to: earlier.outcome)
            return PollReport.File(
                name: name, checksum: checksum, outcome: earlier.outcome, alreadyProcessed: true, movedTo: movedTo)
        }

        var conversion = ConversionReport(from: source.format, to: "outbox")
        var records: [NewRecord] = []
        var inputError: String?
        do {
            records = try convert(bytes, name: name, report: &conversion)
        } catch let error as InputError {
            inputError = error.description
        }
        let outcome: ProcessedFile.Outcome =
            inputError == nil && conversion.rejectedCount == 0 ? .done : .rejected
        if outcome == .rejected {
            try writeReport(
                RejectionReport(
                    source: source.name, file: name, checksum: checksum, error: inputError, conversion: conversion),
                beside: name)
        }
        let summary = try store.commitPull(
            SourcePull(
                source: source.name,
                batch: NewBatch(
                    id: Ingestor.newBatchId(), client: "sync:" + source.name, sourceFormat: source.format,
                    records: records, rejectedCount: conversion.rejectedCount, destinations: destinations),
                file: ProcessedFile(name: name, checksum: checksum, outcome: outcome, batch: nil)),
            now: Date().timeIntervalSince1970)
        let movedTo = try move(name, to: outcome)
        var file = PollReport.File(
            name: name, checksum: checksum, outcome: outcome, alreadyProcessed: false, movedTo: movedTo)
        file.batch = summary.batch
        file.accepted = records.count
        file.enqueued = summary.enqueued
        file.unchanged = summary.unchanged
        file.rejected = conversion.rejectedCount
        file.inputError = inputError
        return file
    }

    private func convert(_ bytes: [UInt8], name: String, report: inout ConversionReport) throws -> [NewRecord] {
        let format = try environment.registry.reader(named: source.format)
        guard let makeReader = format.makeReader else {
            throw FormatLookupError.cannotRead(source.format, readable: [])
        }
        let reader = try makeReader(
            MemoryInput(bytes, name: name), environment.context(mappingOverride: source.mapping))
        return try PulledRecords.read(
            reader, validator: environment.validator, fieldHashKey: store.fieldHashKey, report: &report)
    }

    /// Moves a processed file into its outcome's folder; a name already there gets the checksum's start
    /// added, so that no earlier file is overwritten. Returns the path inside the source folder.
    private func move(_ name: String, to outcome: ProcessedFile.Outcome) throws -> String {
        let subfolder = outcome == .done ? Self.doneFolder : Self.rejectedFolder
        var target = subfolder + "/" + name
        var attempt = 1
        while FileManager.default.fileExists(atPath: folder + "/" + target) {
            attempt += 1
            target = subfolder + "/" + name + ".\(attempt)"
        }
        do {
            try FileManager.default.moveItem(atPath: folder + "/" + name, toPath: folder + "/" + target)
        } catch {
            throw SyncError.cannotMove(source: source.name, file: name, to: subfolder)
        }
        return target
    }

    private func writeReport(_ report: RejectionReport, beside name: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let output = try FileOutput(path: folder + "/" + Self.rejectedFolder + "/" + name + ".report.json")
        try output.write(Array(try encoder.encode(report)) + [0x0A])
        try output.commit()
    }
}

/// The JSON report written beside a rejected file: which records were rejected and why (fields and rules,
/// never values).
struct RejectionReport: Encodable {
    var source: String
    var file: String
    var checksum: String
    /// Why the file as a whole could not be read, when it could not.
    var error: String?
    var conversion: ConversionReport
}
