import Foundation
import TestSupport
import Testing

@testable import Gateway

/// The disclosure ledger: a hash chain of what was sent, which shows any line altered, removed or inserted.
@Suite struct DisclosureLedgerTests {
    static func disclosure(_ key: String?, to destination: String = "registry") -> DisclosureLedger.Disclosure {
        DisclosureLedger.Disclosure(
            destination: destination, agreement: "births", agreementVersion: "3", fields: ["birthDate", "name.family"],
            recordKey: key,
            idempotencyKey: sha256Hex(Array((key ?? "none").utf8)))
    }

    /// Opens the ledger of `directory`, appends `disclosures`, closes it, and returns its live file.
    static func ledgerFile(in directory: String, appending disclosures: [DisclosureLedger.Disclosure]) throws
        -> String
    {
        let ledger = try DisclosureLedger(directory: directory)
        try ledger.append(disclosures)
        return ledger.path
    }

    /// The directory's ledger opened again after one closed, in the slot that one had (`ledger-1`).
    ///
    /// Another test of this process starting a program at that moment holds a copy of the closed ledger's
    /// lock until the program starts (a forked child keeps the parent's descriptors until exec); the slot is
    /// then busy for that instant, and a ledger opened meanwhile takes the next one. It is tried again until
    /// the slot is free, for up to ten seconds.
    static func reopen(_ directory: String, segmentBytes: Int = DisclosureLedger.defaultSegmentBytes) throws
        -> DisclosureLedger
    {
        let slot = DisclosureLedger.livePath(directory, slot: 1)
        for _ in 0..<500 {
            let ledger = try DisclosureLedger(directory: directory, segmentBytes: segmentBytes)
            if ledger.path == slot { return ledger }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return try DisclosureLedger(directory: directory, segmentBytes: segmentBytes)
    }

    /// Appends `text` to `path` with no line break, as a crash in the middle of a line leaves it.
    static func appendCutLine(_ text: String, to path: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
        handle.closeFile()
    }

    static func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func entriesChainAcrossAppendsAndReopeningAndNameNoOne() throws {
        let folder = try TemporaryDirectory()
        let directory = folder.path("ledger")
        var path = ""
        var subject = ""
        do {
            let ledger = try DisclosureLedger(directory: directory)
            path = ledger.path
            subject = ledger.subject(of: "TST-00017")
            try ledger.append([Self.disclosure("TST-00017"), Self.disclosure(nil)])
            try ledger.append([Self.disclosure("TST-00018", to: "scope")])
        }
        let reopened = try Self.reopen(directory)
        #expect(reopened.path == path)
        #expect(reopened.subject(of: "TST-00017") == subject)
        try reopened.append([Self.disclosure("TST-00017")])

        #expect(try DisclosureLedger.verify(path: path) == .intact(entries: 4))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!text.contains("TST-"))
        #expect(text.components(separatedBy: subject).count - 1 == 2)
        let last = try JSONDecoder().decode(
            DisclosureLedger.Entry.self, from: Data(try #require(try Self.lines(path).last).utf8))
        #expect(last.sequence == 4)
        #expect(last.agreement == "births" && last.agreementVersion == "3")
        #expect(last.fields == ["birthDate", "name.family"])
    }

    @Test func anAlteredARemovedOrAnInsertedLineBreaksTheChainThere() throws {
        let folder = try TemporaryDirectory()
        let ledger = try DisclosureLedger(directory: folder.path("ledger"))
        try ledger.append((1...4).map { Self.disclosure("TST-0000\($0)") })
        let original = try Self.lines(ledger.path)

        func check(_ lines: [String]) throws -> DisclosureLedger.Verification {
            let copy = folder.path("copy.jsonl")
            try (lines.joined(separator: "\n") + "\n").write(toFile: copy, atomically: true, encoding: .utf8)
            return try DisclosureLedger.verify(path: copy)
        }
        var altered = original
        altered[1] = altered[1].replacingOccurrences(of: "\"registry\"", with: "\"elsewhere\"")
        guard case .broken(2, let reason) = try check(altered) else {
            Issue.record("an altered line goes unnoticed")
            return
        }
        #expect(reason.contains("altered"))
        var removed = original
        removed.remove(at: 2)
        #expect(
            try check(removed)
                == .broken(line: 3, reason: "does not follow the line before (a line removed or inserted)"))
        #expect(try check(Array(original.prefix(3))) == .intact(entries: 3))
    }

    @Test func aLineCutShortByACrashIsDroppedAndTheChainGoesOn() throws {
        let folder = try TemporaryDirectory()
        let directory = folder.path("ledger")
        let path = try Self.ledgerFile(in: directory, appending: [Self.disclosure("TST-00001")])
        try Self.appendCutLine(#"{"sequence":2,"at":"20"#, to: path)
        let reopened = try Self.reopen(directory)
        try reopened.append([Self.disclosure("TST-00002")])
        #expect(try DisclosureLedger.verify(path: path) == .intact(entries: 2))
    }

    @Test func twoWritersOfOneDirectoryEachKeepTheirOwnChain() throws {
        let folder = try TemporaryDirectory()
        let first = try DisclosureLedger(directory: folder.path("ledger"))
        let second = try DisclosureLedger(directory: folder.path("ledger"))
        #expect(first.path != second.path)
        try first.append([Self.disclosure("TST-00001")])
        try second.append([Self.disclosure("TST-00002"), Self.disclosure("TST-00003")])
        #expect(DisclosureLedger.files(in: folder.path("ledger")) == [first.path, second.path])
        #expect(try DisclosureLedger.verify(path: first.path) == .intact(entries: 1))
        #expect(try DisclosureLedger.verify(path: second.path) == .intact(entries: 2))
    }

    @Test func aFullFileIsSealedAndTheNextGoesOnWithTheChain() throws {
        let folder = try TemporaryDirectory()
        let directory = folder.path("ledger")
        do {
            // About three lines to a file.
            let ledger = try DisclosureLedger(directory: directory, segmentBytes: 1200)
            for number in 1...10 { try ledger.append([Self.disclosure("TST-\(number)")]) }
        }
        let chain = try #require(DisclosureLedger.chains(in: directory)[1])
        #expect(chain.count >= 3)
        #expect(chain.last == folder.path("ledger/ledger-1.jsonl"))
        #expect(chain.first == folder.path("ledger/ledger-1.1.jsonl"))
        #expect(DisclosureLedger.files(in: directory) == chain)
        let sealed = try String(contentsOfFile: chain[0], encoding: .utf8)

        // Reopened, the slot goes on from its last line, wherever that is.
        let reopened = try Self.reopen(directory, segmentBytes: 1200)
        try reopened.append([Self.disclosure("TST-11")])
        let verdicts = try DisclosureLedger.verify(chain: try #require(DisclosureLedger.chains(in: directory)[1]))
        var entries = 0
        for (_, verification) in verdicts {
            guard case .intact(let count)? = verification else {
                Issue.record("a file of the chain does not verify: \(String(describing: verification))")
                return
            }
            entries += count
        }
        #expect(entries == 11)
        #expect(try String(contentsOfFile: chain[0], encoding: .utf8) == sealed)
    }

    @Test func aSealedFileTakenOutBreaksTheChainAtTheNextFile() throws {
        let folder = try TemporaryDirectory()
        let directory = folder.path("ledger")
        let ledger = try DisclosureLedger(directory: directory, segmentBytes: 1200)
        for number in 1...10 { try ledger.append([Self.disclosure("TST-\(number)")]) }
        var chain = try #require(DisclosureLedger.chains(in: directory)[1])
        chain.remove(at: 1)
        let verdicts = try DisclosureLedger.verify(chain: chain)
        #expect(
            verdicts[1].verification
                == .broken(line: 1, reason: "does not follow the last line of the file before (a file or line removed)")
        )
        #expect(verdicts.dropFirst(2).allSatisfy { $0.verification == nil })
    }

    @Test func anEmptyLiveFileAfterASealGoesOnFromTheSealedOne() throws {
        let folder = try TemporaryDirectory()
        let directory = folder.path("ledger")
        // Every append fills the file: it is sealed at once and the live file is left empty, as after a crash
        // between the seal and the next line.
        do {
            let ledger = try DisclosureLedger(directory: directory, segmentBytes: 1)
            try ledger.append([Self.disclosure("TST-1"), Self.disclosure("TST-2")])
            try ledger.append([Self.disclosure("TST-3")])
        }
        #expect(try Self.lines(folder.path("ledger/ledger-1.jsonl")).isEmpty)
        let reopened = try Self.reopen(directory, segmentBytes: 1)
        try reopened.append([Self.disclosure("TST-4")])
        let chain = try #require(DisclosureLedger.chains(in: directory)[1])
        #expect(chain.count == 4)
        let verdicts = try DisclosureLedger.verify(chain: chain).map(\.verification)
        #expect(verdicts == [.intact(entries: 2), .intact(entries: 1), .intact(entries: 1), .intact(entries: 0)])
    }

    @Test func aLongFileIsReadFromItsEndAndACutLineThereIsDropped() throws {
        let folder = try TemporaryDirectory()
        let directory = folder.path("ledger")
        // Well over the 64 KiB first read from the end, and so is the cut line.
        let path = try Self.ledgerFile(in: directory, appending: (1...400).map { Self.disclosure("TST-\($0)") })
        try Self.appendCutLine(String(repeating: "x", count: 70_000), to: path)
        let reopened = try Self.reopen(directory)
        try reopened.append([Self.disclosure("TST-401")])
        #expect(try DisclosureLedger.verify(path: path) == .intact(entries: 401))
    }
}
