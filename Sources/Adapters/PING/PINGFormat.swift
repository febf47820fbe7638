import PrimesModel

/// `progres-ping-json`: PING retrieval responses and ingestion payloads read, ingestion payloads written,
/// through `Mappings/progres/ping-v3.yaml`.
public enum PINGFormat {
    public static let name = "progres-ping-json"
    public static let defaultMapping = "progres/ping-v3.yaml"

    /// The format without its reader and writer, for looking up its mapping from inside them.
    private static let identity = RecordFormat(
        name: name, summary: "", mediaType: "application/json", defaultMapping: defaultMapping, makeReader: nil,
        makeWriter: nil)

    public static let format = RecordFormat(
        name: name,
        summary: "proGres v4 through PING: retrieval responses (read) and ingestion payloads (read and write)",
        mediaType: "application/json",
        defaultMapping: defaultMapping,
        makeReader: { source, context in
            let mapping = try context.mapping(for: identity)
            return try PINGReader(
                source: source, mapping: mapping, codeLists: context.codeLists, receivedAt: context.receivedAt)
        },
        makeWriter: { sink, context in
            let mapping = try context.mapping(for: identity)
            return PINGWriter(
                sink: sink, encoder: try PINGIngestionEncoder(mapping: mapping, codeLists: context.codeLists))
        }
    )
}
