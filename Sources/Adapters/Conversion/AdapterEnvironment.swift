import PrimesModel

/// Everything a conversion needs that is loaded once per process: the formats, the mappings and the
/// canonical code lists. The CLI and the server each build one at start-up.
public struct AdapterEnvironment: Sendable {
    public let registry: FormatRegistry
    public let mappings: MappingLibrary
    public let codeLists: CanonicalCodeLists
    /// Built once: a validator looks its code lists up by name when it is made, which the server would
    /// otherwise repeat for every request.
    public let validator: Validator

    public init(registry: FormatRegistry, mappings: MappingLibrary, codeLists: CanonicalCodeLists) {
        self.registry = registry
        self.mappings = mappings
        self.codeLists = codeLists
        validator = Validator(codeLists: codeLists)
    }

    /// Locates `Mappings/` and loads the canonical code lists and ISO tables.
    public static func load(registry: FormatRegistry = .builtIn) throws -> AdapterEnvironment {
        let mappings = try MappingLibrary.locate()
        return AdapterEnvironment(registry: registry, mappings: mappings, codeLists: try mappings.canonicalCodeLists())
    }

    public func context(mappingOverride: String? = nil) -> ConversionContext {
        ConversionContext(mappings: mappings, codeLists: codeLists, mappingOverride: mappingOverride)
    }
}
