#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a writer's bytes go: a file, standard output, or memory for an HTTP response.
public protocol ByteSink: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Pushes buffered bytes to their destination.
    func flush() throws
}

extension ByteSink {
    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { (bytes) throws in try write(UnsafeRawBufferPointer(bytes)) }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { (raw) throws in try write(raw) }
    }
}

/// A file or standard output, written through a 64 KiB buffer with `write(2)`.
///
/// A regular file is written to a temporary name beside it and renamed into place by `commit()`, so that a
/// failed conversion never leaves a half-written output where a complete one is expected. A device or a
/// pipe (`/dev/null`, a FIFO) is written in place: renaming onto it would replace it with a plain file.
public final class FileOutput: ByteSink {
    public let name: String
    private var descriptor: Int32
    private let temporaryPath: String?
    private let ownsDescriptor: Bool
    private var buffer: [UInt8] = []
    private let capacity = 64 * 1024

    /// Opens `path` for writing; `-` is standard output.
    public init(path: String) throws {
        name = path
        var status = stat()
        if path == "-" {
            descriptor = 1
            temporaryPath = nil
            ownsDescriptor = false
        } else if stat(path, &status) == 0 && (status.st_mode & S_IFMT) != S_IFREG {
            descriptor = try Self.open(path, as: path, flags: O_WRONLY | O_CLOEXEC)
            temporaryPath = nil
            ownsDescriptor = true
        } else {
            let temporary = path + ".partial-\(getpid())"
            descriptor = try Self.open(temporary, as: path, flags: O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC)
            temporaryPath = temporary
            ownsDescriptor = true
        }
        buffer.reserveCapacity(capacity)
    }

    deinit {
        guard ownsDescriptor, descriptor >= 0 else { return }
        close(descriptor)
        if let temporaryPath { unlink(temporaryPath) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > capacity { try flush() }
        if bytes.count >= capacity {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    public func flush() throws {
        guard !buffer.isEmpty else { return }
        let pending = buffer
        buffer.removeAll(keepingCapacity: true)
        try pending.withUnsafeBytes { try writeAll($0) }
    }

    /// Flushes and finishes the output: a regular file is synced and moved into place, a device or pipe is
    /// closed, standard output is flushed.
    public func commit() throws {
        try flush()
        guard ownsDescriptor else { return }
        if let temporaryPath {
            guard fsync(descriptor) == 0, rename(temporaryPath, name) == 0 else {
                throw OutputError.unwritable(name, reason: String(cString: strerror(errno)))
            }
        }
        close(descriptor)
        descriptor = -1
    }

    private static func open(_ path: String, as name: String, flags: Int32) throws -> Int32 {
        #if canImport(Glibc)
            let descriptor = Glibc.open(path, flags, 0o600)
        #else
            let descriptor = Darwin.open(path, flags, 0o600)
        #endif
        guard descriptor >= 0 else { throw OutputError.unwritable(name, reason: String(cString: strerror(errno))) }
        return descriptor
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            #if canImport(Glibc)
                let written = Glibc.write(descriptor, base + offset, bytes.count - offset)
            #else
                let written = Darwin.write(descriptor, base + offset, bytes.count - offset)
            #endif
            if written < 0 {
                if errno == EINTR { continue }
                throw OutputError.unwritable(name, reason: String(cString: strerror(errno)))
            }
            offset += written
        }
    }
}

/// Bytes collected in memory, for HTTP responses and tests.
public final class MemoryOutput: ByteSink {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public var text: String {
        String(decoding: bytes, as: UTF8.self)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        self.bytes.append(contentsOf: bytes)
    }

    public func flush() throws {}
}

/// An output that cannot be written; the conversion stops.
public enum OutputError: Error, Sendable, Equatable, CustomStringConvertible {
    case unwritable(String, reason: String)

    public var description: String {
        switch self {
        case .unwritable(let name, let reason): "\(name): cannot write: \(reason)"
        }
    }
}
