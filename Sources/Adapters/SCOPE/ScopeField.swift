/// The fields of the SCOPE exchange layout, version 1, in the layout's own column order.
///
/// The adapter knows what each field means; the mapping file (`Mappings/scope/scope-exchange-v1.yaml`) names
/// the column (CSV) and element (XML) that carry it, so that renamed columns need a mapping, not code.
public enum ScopeField: Int, CaseIterable, Sendable {
    case householdId
    case householdName
    case householdSize
    case residenceStatus
    case vulnerabilityRating
    case arrivalDate
    case registrationSource
    case location
    case address
    case beneficiaryUniqueId
    case scopeId
    case lastName
    case firstName
    case householdRole
    case sex
    case dateOfBirth
    case dateOfBirthEstimated
    case nationality
    case phoneNumber
    case recipientRole

    /// The field's name in the layout, which is also the `id` of its rule in the mapping file.
    public var layoutName: String {
        Self.layoutNames[rawValue]
    }

    /// The field named `name` in the layout.
    public init?(layoutName name: String) {
        guard let position = Self.layoutNames.firstIndex(of: name) else { return nil }
        self.init(rawValue: position)
    }

    /// Whether the field describes the household and so repeats, identical, on each of its member rows.
    public var isHousehold: Bool {
        rawValue <= ScopeField.address.rawValue
    }

    /// The fields the adapter cannot work without, whatever a mapping file says about `required`.
    var isStructural: Bool {
        self == .householdId || self == .beneficiaryUniqueId || self == .householdRole
    }

    private static let layoutNames = [
        "household_id", "household_name", "household_size", "residence_status", "vulnerability_rating",
        "arrival_date", "registration_source", "location", "address", "beneficiary_unique_id", "scope_id",
        "last_name", "first_name", "household_role", "sex", "date_of_birth", "date_of_birth_estimated",
        "nationality", "phone_number", "recipient_role",
    ]
}
