/// A poll that cannot be done, naming the source and the file; never a record's values.
public enum SyncError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownSource(String, known: [String])
    case notADirectory(source: String, path: String)
    case unreadableFile(source: String, file: String)
    case cannotMove(source: String, file: String, to: String)
    /// The kind is configured but no reader for it was given (the library without the command line's readers).
    case kindNotPollable(source: String, kind: String)
    /// The store keeps no source cursors.
    case storeWithoutCursors

    public var description: String {
        switch self {
        case .unknownSource(let name, let known):
            "no source \"\(name)\" in the configuration (known: \(known.joined(separator: ", ")))"
        case .notADirectory(let source, let path): "source \(source): \(path) is not a folder"
        case .unreadableFile(let source, let file): "source \(source): cannot read \(file)"
        case .cannotMove(let source, let file, let folder): "source \(source): cannot move \(file) to \(folder)/"
        case .kindNotPollable(let source, let kind):
            "source \(source): no reader for \(kind) sources was given to this gateway"
        case .storeWithoutCursors: "this store keeps no source cursors, so it cannot sync"
        }
    }
}
