import Foundation

/// The ids the gateway makes for batches and requests: UUIDs in lower-case text, drawn from the system's
/// random source (`getrandom`, through libsodium) without opening a device file for each, as Foundation's
/// `UUID()` does, and without a system call for each either (`RandomPool`).
enum Identifiers {
    /// A version 7 UUID (RFC 9562): the milliseconds since 1970 in the first 48 bits, 74 random bits after.
    ///
    /// Batch ids are keys of the outbox's indexes: ids that grow with time are appended to the indexes'
    /// last pages, so a group commit writes a few pages instead of one random page per batch and index.
    /// The id tells when the batch arrived (as its status does), nothing about its records.
    static func timeOrdered(now: Date = Date()) -> String {
        var bytes = randomBytes()
        let milliseconds = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index))) }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        return text(of: bytes)
    }

    /// A version 4 UUID: 122 random bits.
    static func random() -> String {
        var bytes = randomBytes()
        bytes[6] = 0x40 | (bytes[6] & 0x0F)
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        return text(of: bytes)
    }

    private static let pool = RandomPool()

    /// 16 bytes from the system's generator, through the pool.
    private static func randomBytes() -> [UInt8] {
        pool.take16()
    }

    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lower-case hex.
    private static func text(of bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var characters: [UInt8] = []
        characters.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { characters.append(UInt8(ascii: "-")) }
            characters.append(digits[Int(byte >> 4)])
            characters.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: characters, as: UTF8.self)
    }
}

/// Random bytes for ids, fetched from libsodium's generator (the system's `getrandom`) 4 KiB at a time and
/// handed out once each: every ingest makes a request id and a batch id, and a system call for each showed in
/// profiles of the daemon. Each byte is used once, so ids are as unpredictable as bytes drawn one call each;
/// keys and nonces do not come from here (`Sodium.randomBytes`).
final class RandomPool: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = [UInt8](repeating: 0, count: 4096)
    /// The next unused byte of `buffer`; its end when the pool must be refilled.
    private var next = 4096

    /// 16 unused random bytes.
    func take16() -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        if next + 16 > buffer.count {
            Sodium.randomBytes(&buffer)
            next = 0
        }
        defer { next += 16 }
        return Array(buffer[next..<next + 16])
    }
}
