extension FormatRegistry {
    /// The formats this build of the gateway ships. An adapter adds its `RecordFormat` here.
    public static let builtIn = FormatRegistry([
        CanonicalFormat.format,
        CivilRegistrationFormat.fhirR4,
        CivilRegistrationFormat.de4aBirth,
        CivilRegistrationFormat.anyDialect,
        ScopeCSVFormat.format,
        ScopeXMLFormat.format,
        PrimeroFormat.format,
        PINGFormat.format,
    ])
}
