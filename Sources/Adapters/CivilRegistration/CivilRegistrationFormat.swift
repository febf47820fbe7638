import PrimesModel

/// The civil-registration XML formats: one adapter, one dialect mapping file each.
public enum CivilRegistrationFormat {
    /// HL7 FHIR R4 XML Bundles, in the profile `docs/fhir-profile.md` describes.
    public static let fhirR4 = format(
        name: "fhir-r4-xml", summary: "civil-registration records as FHIR R4 XML Bundles",
        mediaType: "application/fhir+xml", mapping: "civil-registration/fhir-r4.yaml")

    /// EU DE4A birth evidence 1.7 (SEMIC Core Person), one evidence a document.
    public static let de4aBirth = format(
        name: "de4a-birth-xml", summary: "EU DE4A birth evidence 1.7, one evidence a document",
        mediaType: "application/xml", mapping: "civil-registration/de4a-birth-1.7.yaml")

    /// Any other dialect, given as a mapping file with `--mapping` that lists `civil-xml` in its formats.
    public static let anyDialect = format(
        name: "civil-xml", summary: "civil-registration XML of the dialect given with --mapping FILE",
        mediaType: "application/xml", mapping: nil)

    private static func format(name: String, summary: String, mediaType: String, mapping: String?) -> RecordFormat {
        RecordFormat(
            name: name, summary: summary, mediaType: mediaType, defaultMapping: mapping,
            makeReader: { source, context in
                let dialect = try dialect(for: name, mapping: mapping, context: context)
                return try CivilRecordReader(source: source, dialect: dialect, context: context, format: name)
            },
            makeWriter: { sink, context in
                CivilRecordWriter(
                    sink: sink, dialect: try dialect(for: name, mapping: mapping, context: context), context: context)
            })
    }

    private static func dialect(for name: String, mapping: String?, context: ConversionContext) throws -> CivilDialect {
        let stand = RecordFormat(
            name: name, summary: "", mediaType: "", defaultMapping: mapping, makeReader: nil, makeWriter: nil)
        let file = try context.mapping(for: stand)
        try context.mappings.checkTargets(of: file, against: context.codeLists)
        return try CivilDialect(mapping: file)
    }
}
