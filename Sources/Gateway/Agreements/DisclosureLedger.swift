import Foundation
import PrimesModel

/// What left the gateway: one line per attempt to send a record to a partner, written before the attempt,
/// naming the destination, the agreement and its version, the fields sent and when, for a subject known only
/// by a pseudonym. It holds no personal data.
///
/// Each line carries the hash of the line before it and its own, so that a line altered, removed or inserted
/// afterwards breaks the chain, which `verify` finds. Lines go to `ledger-N.jsonl` in the ledger directory;
/// a process holds its file under an exclusive lock, so several gateway instances sharing a directory each
/// write their own chain. A batch of lines is fsynced before the records it names are sent.
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

    /// The file this process writes.
    public let path: String
    private let descriptor: Int32
    private let subjectKey: [UInt8]
    private let lock = NSLock()
    private var sequence: Int
    private var lastHash: String

    /// Opens the first ledger file of `directory` that no other process holds, creating the directory, the
    /// file and the subject key when missing.
    public init(directory: String) throws(LedgerError) {
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .unusable(directory, "the directory cannot be made")
        }
        subjectKey = try Self.subjectKey(in: directory)
        for number in 1...64 {
            let candidate = (directory as NSString).appendingPathComponent("ledger-\(number).jsonl")
            let opened = open(candidate, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard opened >= 0 else { throw .unusable(candidate, String(cString: strerror(errno))) }
            guard flock(opened, LOCK_EX | LOCK_NB) == 0 else {
                close(opened)
                continue
            }
            path = candidate
            descriptor = opened
            (sequence, lastHash) = try Self.tail(of: opened, path: candidate)
            return
        }
        throw .unusable(directory, "64 ledger files are held by other processes")
    }

    deinit {
        close(descriptor)
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

    /// The sequence and hash of the file's last whole line. A last line cut short by a crash (its records had
    /// not been sent: they are sent and recorded again) is removed.
    private static func tail(of descriptor: Int32, path: String) throws(LedgerError) -> (Int, String) {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return (0, firstPrevious) }
        var bytes = [UInt8](data)
        if bytes.last != 0x0A {
            let keep = (bytes.lastIndex(of: 0x0A) ?? -1) + 1
            guard ftruncate(descriptor, off_t(keep)) == 0 else {
                throw .unusable(path, "a line cut short by a crash cannot be removed")
            }
            bytes.removeSubrange(keep...)
            if bytes.isEmpty { return (0, firstPrevious) }
        }
        let start = (bytes.dropLast().lastIndex(of: 0x0A) ?? -1) + 1
        guard let entry = try? JSONDecoder().decode(Entry.self, from: Data(bytes[start..<(bytes.count - 1)])) else {
            throw .unusable(path, "the last line is not a ledger entry")
        }
        return (entry.sequence, entry.hash)
    }

    // MARK: - Verifying

    /// What a ledger file holds: its number of entries, or the first line that breaks the chain.
    public enum Verification: Sendable, Equatable {
        case intact(entries: Int)
        case broken(line: Int, reason: String)
    }

    /// Checks every line of a ledger file against the one before it.
    public static func verify(path: String) throws(LedgerError) -> Verification {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unusable(path, "cannot be read") }
        var previous = firstPrevious
        var count = 0
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            // The file ends with a line break, which leaves one empty piece at the end.
            if line.isEmpty && index == lines.count - 1 { continue }
            let number = index + 1
            guard let entry = try? JSONDecoder().decode(Entry.self, from: Data(line)) else {
                return .broken(line: number, reason: "not a ledger entry")
            }
            guard entry.previous == previous else {
                return .broken(line: number, reason: "does not follow the line before (a line removed or inserted)")
            }
            guard entry.sequence == count + 1 else {
                return .broken(line: number, reason: "sequence \(entry.sequence) where \(count + 1) was due")
            }
            guard entry.hash == entry.computedHash else {
                return .broken(line: number, reason: "its content does not match its hash (the line was altered)")
            }
            previous = entry.hash
            count += 1
        }
        return .intact(entries: count)
    }

    /// The ledger files of a directory, in order.
    public static func files(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix("ledger-") && $0.hasSuffix(".jsonl") }
            .sorted { $0.count == $1.count ? $0 < $1 : $0.count < $1.count }
            .map { (directory as NSString).appendingPathComponent($0) }
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
