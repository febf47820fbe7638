import Foundation
import PrimesModel

/// What left the gateway: one line per attempt to send a record to a partner, written before the attempt,
/// naming the destination, the agreement and its version, the fields sent and when, for a subject known only
/// by a pseudonym. It holds no personal data.
///
/// Each line carries the hash of the line before it and its own, so that a line altered, removed or inserted
/// afterwards breaks the chain, which `verify` finds. Lines go to `ledger-N.jsonl` in the ledger directory;
/// a process holds slot N through an exclusive lock on `ledger-N.lock`, so several gateway instances sharing a
/// directory each write their own chain. A batch of lines is fsynced before the records it names are sent.
///
/// Once the live file reaches `segmentBytes` it is sealed as `ledger-N.K.jsonl` (K = 1, 2, …) and a new live
/// file continues the chain: its first line follows the sealed file's last. Sealed files never change again,
/// so they can be archived; `chains(in:)` lists each slot's files in order and `verify(chain:)` checks them as
/// one chain.
///
/// The subject is `sub-` and 32 hex digits of an HMAC of the record key under `subject.key`, a random secret
/// made beside the ledger: a data-protection officer holding it can find every disclosure about one person,
/// and a ledger copied without it says nothing about who anyone is.
public final class DisclosureLedger: @unchecked Sendable {
    /// One line of the ledger.
    public struct Entry: Sendable, Equatable, Codable {
        public var sequence: Int
        /// When the record was sent, ISO 8601 in UTC.
        public var at: String
        public var destination: String
        public var agreement: String
        public var agreementVersion: String
        /// The agreement's fields the record carried when it left, as the agreement names them (`name.family`).
        public var fields: [String]
        /// The pseudonym of the record's key; nil for a record without one.
        public var subject: String?
        /// The delivery's idempotency key, which the partner also received.
        public var idempotencyKey: String
        /// The hash of the line before, 64 zeros for the first line.
        public var previous: String
        public var hash: String

        /// The entry as one line of JSON, members in alphabetical order, without its line break.
        var line: [UInt8] {
            var line: [UInt8] = []
            line.reserveCapacity(512)
            func member(_ name: String, _ append: (inout [UInt8]) -> Void) {
                line.append(line.isEmpty ? UInt8(ascii: "{") : UInt8(ascii: ","))
                JSONEscape.appendQuoted(name, to: &line)
                line.append(UInt8(ascii: ":"))
                append(&line)
            }
            func text(_ name: String, _ value: String) {
                member(name) { JSONEscape.appendQuoted(value, to: &$0) }
            }
            text("agreement", agreement)
            text("agreementVersion", agreementVersion)
            text("at", at)
            text("destination", destination)
            member("fields") { out in
                out.append(UInt8(ascii: "["))
                for (index, field) in fields.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    JSONEscape.appendQuoted(field, to: &out)
                }
                out.append(UInt8(ascii: "]"))
            }
            text("hash", hash)
            text("idempotencyKey", idempotencyKey)
            text("previous", previous)
            member("sequence") { $0 += Array(String(sequence).utf8) }
            if let subject { text("subject", subject) }
            line.append(UInt8(ascii: "}"))
            return line
        }

        /// The hash of every other member and the previous line's hash, each length-prefixed so that no two
        /// entries read alike.
        var computedHash: String {
            var text: [UInt8] = []
            text.reserveCapacity(512)
            let parts = [
                String(sequence), at, destination, agreement, agreementVersion, fields.joined(separator: ","),
                subject ?? "", idempotencyKey, previous,
            ]
            for (index, part) in parts.enumerated() {
                if index > 0 { text.append(UInt8(ascii: "|")) }
                text += Array(String(part.utf8.count).utf8)
                text.append(UInt8(ascii: ":"))
                text += Array(part.utf8)
            }
            return lowerHex(TokenHash.digest(of: text, algorithm: .sha256))
        }
    }

    /// What one sent record discloses.
    public struct Disclosure: Sendable {
        public var destination: String
        public var agreement: String
        public var agreementVersion: String
        public var fields: [String]
        public var recordKey: String?
        public var idempotencyKey: String

        public init(
            destination: String, agreement: String, agreementVersion: String, fields: [String], recordKey: String?,
            idempotencyKey: String
        ) {
            self.destination = destination
            self.agreement = agreement
            self.agreementVersion = agreementVersion
            self.fields = fields
            self.recordKey = recordKey
            self.idempotencyKey = idempotencyKey
        }
    }

    static let firstPrevious = String(repeating: "0", count: 64)

    /// The live file this process writes (`ledger-N.jsonl`); sealed files take other names, this one stays.
    public let path: String
    /// Size at which the live file is sealed and a new one started.
    public let segmentBytes: Int
    /// The default `segmentBytes`: 256 MiB, some 600,000 lines.
    public static let defaultSegmentBytes = 256 << 20
    private let directory: String
    private let slot: Int
    /// Holds the slot's lock file for the life of the process.
    private let slotLock: Int32
    private var descriptor: Int32
    /// Bytes in the live file.
    private var size: Int
    private let subjectKey: [UInt8]
    private let lock = NSLock()
    private var sequence: Int
    private var lastHash: String

    /// Opens the first ledger slot of `directory` that no other process holds, creating the directory, the
    /// files and the subject key when missing; the chain goes on from the slot's last line.
    public init(directory: String, segmentBytes: Int = DisclosureLedger.defaultSegmentBytes) throws(LedgerError) {
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .unusable(directory, "the directory cannot be made")
        }
        self.directory = directory
        self.segmentBytes = max(segmentBytes, 1)
        subjectKey = try Self.subjectKey(in: directory)
        for number in 1...64 {
            let lockPath = (directory as NSString).appendingPathComponent("ledger-\(number).lock")
            let held = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard held >= 0 else { throw .unusable(lockPath, String(cString: strerror(errno))) }
            guard flock(held, LOCK_EX | LOCK_NB) == 0 else {
                close(held)
                continue
            }
            let live = Self.livePath(directory, slot: number)
            let opened = open(live, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard opened >= 0 else {
                close(held)
                throw .unusable(live, String(cString: strerror(errno)))
            }
            do throws(LedgerError) {
                var last = try Self.lastEntry(of: opened, path: live, repair: true)
                // An empty live file after a seal (a crash between the two) goes on from the sealed file.
                if last == nil, let sealed = Self.chains(in: directory)[number]?.dropLast().last {
                    let reading = open(sealed, O_RDONLY | O_CLOEXEC)
                    defer { if reading >= 0 { close(reading) } }
                    guard reading >= 0 else { throw LedgerError.unusable(sealed, "cannot be read") }
                    last = try Self.lastEntry(of: reading, path: sealed, repair: false)
                }
                (sequence, lastHash) = last.map { ($0.sequence, $0.hash) } ?? (0, Self.firstPrevious)
            } catch {
                close(opened)
                close(held)
                throw error
            }
            path = live
            slot = number
            slotLock = held
            descriptor = opened
            size = Int(lseek(opened, 0, SEEK_END))
            return
        }
        throw .unusable(directory, "64 ledger slots are held by other processes")
    }

    deinit {
        close(descriptor)
        close(slotLock)
    }

    /// Appends one line per disclosure and fsyncs them, before the caller sends those records.
    public func append(_ disclosures: [Disclosure], now: Double = Date().timeIntervalSince1970) throws(LedgerError) {
        guard !disclosures.isEmpty else { return }
        lock.lock()
        defer { lock.unlock() }
        var bytes: [UInt8] = []
        var next = (sequence: sequence, hash: lastHash)
        let at = Date(timeIntervalSince1970: now).formatted(.iso8601)
        for disclosure in disclosures {
            var entry = Entry(
                sequence: next.sequence + 1, at: at, destination: disclosure.destination,
                agreement: disclosure.agreement, agreementVersion: disclosure.agreementVersion,
                fields: disclosure.fields, subject: disclosure.recordKey.map(subject(of:)),
                idempotencyKey: disclosure.idempotencyKey, previous: next.hash, hash: "")
            entry.hash = entry.computedHash
            bytes += entry.line
            bytes.append(0x0A)
            next = (entry.sequence, entry.hash)
        }
        try write(bytes)
        (sequence, lastHash) = next
        size += bytes.count
        if size >= segmentBytes { seal() }
    }

    /// Seals the live file as the slot's next `ledger-N.K.jsonl` and starts an empty live file, which goes on
    /// with the chain. The lines written are already safe: a seal that fails leaves them where they are, and
    /// the next append tries again.
    private func seal() {
        let fresh = path + ".new"
        let opened = open(fresh, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600)
        guard opened >= 0 else { return }
        // After the highest sealed file still there: older ones may have been moved to an archive.
        let number = (Self.segments(in: directory)[slot]?.filter { $0.number != Int.max }.last?.number ?? 0) + 1
        let sealed = Self.sealedPath(directory, slot: slot, number: number)
        guard access(sealed, F_OK) != 0, rename(path, sealed) == 0 else {
            close(opened)
            unlink(fresh)
            return
        }
        guard rename(fresh, path) == 0 else {
            _ = rename(sealed, path)
            close(opened)
            unlink(fresh)
            return
        }
        // The renames themselves made durable, so that a power cut cannot bring the sealed lines back as live.
        let folder = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
        close(descriptor)
        descriptor = opened
        size = 0
    }

    /// The pseudonym a record key has in this ledger.
    public func subject(of recordKey: String) -> String {
        "sub-" + String(lowerHex(TokenHash.hmacSHA256(Array(recordKey.utf8), key: subjectKey)).prefix(32))
    }

    private func write(_ bytes: [UInt8]) throws(LedgerError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                Glibc.write(descriptor, raw.baseAddress.map { $0 + offset }, bytes.count - offset)
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw .unusable(path, String(cString: strerror(errno))) }
            offset += written
        }
        guard fsync(descriptor) == 0 else { throw .unusable(path, String(cString: strerror(errno))) }
    }

    // MARK: - Opening

    private static func subjectKey(in directory: String) throws(LedgerError) -> [UInt8] {
        let path = (directory as NSString).appendingPathComponent("subject.key")
        func existing() -> [UInt8]? {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                let key = TokenHash.bytes(fromHex: text.trimmingCharacters(in: .whitespacesAndNewlines))
            else { return nil }
            return key.count == 32 ? key : nil
        }
        if let key = existing() { return key }
        var key = [UInt8](repeating: 0, count: 32)
        Sodium.randomBytes(&key)
        let created = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard created >= 0 else {
            // Another process made it first: read theirs.
            if let key = existing() { return key }
            throw .unusable(path, "the subject key is missing and cannot be made")
        }
        defer { close(created) }
        let text = Array((lowerHex(key) + "\n").utf8)
        guard text.withUnsafeBytes({ Glibc.write(created, $0.baseAddress, $0.count) }) == text.count,
            fsync(created) == 0
        else { throw .unusable(path, "the subject key cannot be written") }
        return key
    }

    /// The file's last whole line, nil for an empty file. Only the end of the file is read (a window that
    /// doubles until it holds a whole line), so that start-up does not read a long ledger whole. With `repair`,
    /// a last line cut short by a crash (its records had not been sent: they are sent and recorded again) is
    /// removed.
    private static func lastEntry(of descriptor: Int32, path: String, repair: Bool) throws(LedgerError) -> Entry? {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .unusable(path, "cannot be read") }
        var size = Int(status.st_size)
        var window = min(size, 64 << 10)
        while size > 0 {
            var bytes = [UInt8](repeating: 0, count: window)
            let read = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, window, off_t(size - window)) }
            guard read == window else { throw .unusable(path, "cannot be read") }
            if bytes.last != 0x0A {
                // A line cut short: drop it, then look again at what is left.
                guard let end = bytes.lastIndex(of: 0x0A) else {
                    if window < size {
                        window = min(size, window * 2)
                        continue
                    }
                    try truncate(descriptor, to: 0, path: path, repair: repair)
                    return nil
                }
                let keep = size - window + end + 1
                try truncate(descriptor, to: keep, path: path, repair: repair)
                size = keep
                window = min(size, window)
                continue
            }
            let body = bytes.dropLast()
            guard let start = body.lastIndex(of: 0x0A).map({ $0 + 1 }) ?? (window == size ? 0 : nil) else {
                window = min(size, window * 2)
                continue
            }
            guard let entry = try? JSONDecoder().decode(Entry.self, from: Data(body[start...])) else {
                throw .unusable(path, "the last line is not a ledger entry")
            }
            return entry
        }
        return nil
    }

    private static func truncate(_ descriptor: Int32, to length: Int, path: String, repair: Bool)
        throws(LedgerError)
    {
        guard repair else { throw .unusable(path, "its last line is cut short") }
        guard ftruncate(descriptor, off_t(length)) == 0 else {
            throw .unusable(path, "a line cut short by a crash cannot be removed")
        }
    }

    static func livePath(_ directory: String, slot: Int) -> String {
        (directory as NSString).appendingPathComponent("ledger-\(slot).jsonl")
    }

    static func sealedPath(_ directory: String, slot: Int, number: Int) -> String {
        (directory as NSString).appendingPathComponent("ledger-\(slot).\(number).jsonl")
    }

    // MARK: - Verifying

    /// What a ledger file holds: its number of entries, or the first line that breaks the chain.
    public enum Verification: Sendable, Equatable {
        case intact(entries: Int)
        case broken(line: Int, reason: String)
    }

    /// Checks every line of a ledger file against the one before it, the first against the start of a chain.
    public static func verify(path: String) throws(LedgerError) -> Verification {
        try verify(path: path, after: (entries: 0, hash: firstPrevious)).verification
    }

    /// Checks a slot's files as one chain, each file's first line against the last of the file before; a file
    /// after a broken one is not checked (nil).
    public static func verify(chain: [String]) throws(LedgerError) -> [(path: String, verification: Verification?)] {
        var results: [(path: String, verification: Verification?)] = []
        var end: (entries: Int, hash: String)? = (0, firstPrevious)
        for path in chain {
            guard let start = end else {
                results.append((path, nil))
                continue
            }
            let checked = try verify(path: path, after: start)
            results.append((path, checked.verification))
            end = checked.end
        }
        return results
    }

    /// `verify(path:)` from the end of the file before: the sequence and hash its first line must follow.
    /// Returns, with the verdict, where the chain ends (nil when it is broken).
    private static func verify(path: String, after start: (entries: Int, hash: String)) throws(LedgerError)
        -> (verification: Verification, end: (entries: Int, hash: String)?)
    {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unusable(path, "cannot be read") }
        var previous = start.hash
        var count = 0
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            // The file ends with a line break, which leaves one empty piece at the end.
            if line.isEmpty && index == lines.count - 1 { continue }
            let number = index + 1
            guard let entry = try? JSONDecoder().decode(Entry.self, from: Data(line)) else {
                return (.broken(line: number, reason: "not a ledger entry"), nil)
            }
            guard entry.previous == previous else {
                let reason =
                    number == 1 && start.entries > 0
                    ? "does not follow the last line of the file before (a file or line removed)"
                    : "does not follow the line before (a line removed or inserted)"
                return (.broken(line: number, reason: reason), nil)
            }
            guard entry.sequence == start.entries + count + 1 else {
                let due = start.entries + count + 1
                return (.broken(line: number, reason: "sequence \(entry.sequence) where \(due) was due"), nil)
            }
            guard entry.hash == entry.computedHash else {
                return (
                    .broken(line: number, reason: "its content does not match its hash (the line was altered)"), nil
                )
            }
            previous = entry.hash
            count += 1
        }
        return (.intact(entries: count), (start.entries + count, previous))
    }

    /// The ledger files of a directory, slot by slot, each slot's chain in order.
    public static func files(in directory: String) -> [String] {
        chains(in: directory).sorted { $0.key < $1.key }.flatMap(\.value)
    }

    /// Each slot's files in the order of its chain: the sealed `ledger-N.K.jsonl` by K, then the live
    /// `ledger-N.jsonl` (present once the slot has been opened).
    public static func chains(in directory: String) -> [Int: [String]] {
        segments(in: directory).mapValues { $0.map(\.path) }
    }

    /// Each slot's files with their numbers, in order; the live file's number is `Int.max`.
    private static func segments(in directory: String) -> [Int: [(number: Int, path: String)]] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var segments: [Int: [(number: Int, path: String)]] = [:]
        for name in names where name.hasPrefix("ledger-") && name.hasSuffix(".jsonl") {
            let parts = name.dropFirst("ledger-".count).dropLast(".jsonl".count).split(
                separator: ".", omittingEmptySubsequences: false)
            guard let slot = Int(parts[0]), parts.count <= 2 else { continue }
            // The live file sorts after every sealed one.
            guard let number = parts.count == 2 ? Int(parts[1]) : Int.max else { continue }
            segments[slot, default: []].append((number, (directory as NSString).appendingPathComponent(name)))
        }
        return segments.mapValues { $0.sorted { $0.number < $1.number } }
    }
}

/// A ledger that cannot be opened or written; deliveries stop rather than go unrecorded.
public enum LedgerError: Error, Sendable, Equatable, CustomStringConvertible {
    case unusable(String, String)

    public var description: String {
        switch self {
        case .unusable(let path, let reason): "disclosure ledger \(path): \(reason)"
        }
    }
}
