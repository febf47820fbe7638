#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a reader's bytes come from: a file, standard input, or a request body held in memory.
///
/// Readers pull bytes in chunks, so a file of any size is read with the same small buffer.
public protocol ByteSource: AnyObject {
    /// A name for messages: the file's path, `-` for standard input, or a request's description.
    var name: String { get }

    /// Fills `buffer` with up to its count of bytes and returns how many; 0 means the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int

    /// How many bytes are still to be read, when that is known before reading them (bytes in memory); nil for
    /// files and streams. Readers size their buffers by it, and a conversion skips its second thread for a
    /// small input.
    var remainingByteCount: Int? { get }
}

extension ByteSource {
    public var remainingByteCount: Int? { nil }
}

/// A file or standard input, read with `read(2)`.
public final class FileInput: ByteSource {
    public let name: String
    private let descriptor: Int32
    private let ownsDescriptor: Bool

    /// Opens `path` for reading; `-` is standard input.
    public init(path: String) throws {
        if path == "-" {
            name = "-"
            descriptor = 0
            ownsDescriptor = false
            return
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw InputError.unreadable(path, reason: String(cString: strerror(errno))) }
        var status = stat()
        if fstat(descriptor, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR {
            close(descriptor)
            throw InputError.unreadable(path, reason: "is a directory")
        }
        self.name = path
        self.descriptor = descriptor
        self.ownsDescriptor = true
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            #if canImport(Glibc)
                let count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            #else
                let count = Darwin.read(descriptor, buffer.baseAddress, buffer.count)
            #endif
            if count >= 0 { return count }
            if errno != EINTR { throw InputError.unreadable(name, reason: String(cString: strerror(errno))) }
        }
    }
}

/// Bytes already in memory, such as an HTTP request body.
public final class MemoryInput: ByteSource {
    public let name: String
    private let bytes: [UInt8]
    private var offset = 0

    public init(_ bytes: [UInt8], name: String = "body") {
        self.bytes = bytes
        self.name = name
    }

    public convenience init(_ text: String, name: String = "body") {
        self.init(Array(text.utf8), name: name)
    }

    public var remainingByteCount: Int? {
        bytes.count - offset
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, bytes.count - offset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<offset + count]))
        }
        offset += count
        return count
    }
}

/// An input that cannot be read at all: missing, unreadable, or not in the expected encoding or syntax.
///
/// Unlike a rejected record, this stops the conversion: the CLI exits 2 and the server answers 4xx.
public enum InputError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(String, reason: String)
    /// The input is not in its format at all; `location` names the file and line.
    case malformed(RecordLocation, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let name, let reason): "\(name): cannot read: \(reason)"
        case .malformed(let location, let reason): "\(location): \(reason)"
        }
    }
}
