/// Why a request could not be validated at all. Errors name the field and the problem, never the value:
/// no PAN digit and no security code ever appears in one.
public enum ValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The PAN has no digits.
    case panEmpty
    /// A character other than a digit, space or dash, at this 1-based byte position.
    case panInvalidCharacter(position: Int)
    /// Fewer than 12 or more than 19 digits.
    case panLength(digits: Int)
    /// A presence indicator other than 0, 1, 2 or 9.
    case cscIndicatorInvalid(Int)
    /// The entered value and the presence indicator disagree (for example `X` with indicator 1).
    case cscContradiction(indicator: CSCPresence, entered: CSCPresence)
    /// 3-D Secure data (an ECI, a value, a version or a reason) without `three_ds_status`.
    case threeDSStatusMissing
    /// A `three_ds_status` other than one of `Y A N U R C D I`.
    case threeDSStatusInvalid
    /// An `eci` that is not two letters or digits.
    case eciInvalid
    /// A `three_ds_version` that is not three dot-separated numbers (`2.2.0`).
    case threeDSVersionInvalid
    /// A `three_ds_status_reason` that is not two digits.
    case threeDSStatusReasonInvalid
    /// A `profile` that names none of the loaded profiles.
    case unknownProfile
    /// The request asks for no check at all.
    case nothingToCheck

    /// A stable machine code.
    public var code: String {
        switch self {
        case .panEmpty: "pan_empty"
        case .panInvalidCharacter: "pan_invalid_character"
        case .panLength: "pan_length"
        case .cscIndicatorInvalid: "csc_indicator_invalid"
        case .cscContradiction: "csc_contradiction"
        case .threeDSStatusMissing: "three_ds_status_missing"
        case .threeDSStatusInvalid: "three_ds_status_invalid"
        case .eciInvalid: "eci_invalid"
        case .threeDSVersionInvalid: "three_ds_version_invalid"
        case .threeDSStatusReasonInvalid: "three_ds_status_reason_invalid"
        case .unknownProfile: "unknown_profile"
        case .nothingToCheck: "nothing_to_check"
        }
    }

    /// The request field at fault, if one.
    public var field: String? {
        switch self {
        case .panEmpty, .panInvalidCharacter, .panLength: "pan"
        case .cscIndicatorInvalid: "csc_indicator"
        case .cscContradiction: "csc"
        case .threeDSStatusMissing, .threeDSStatusInvalid: "three_ds_status"
        case .eciInvalid: "eci"
        case .threeDSVersionInvalid: "three_ds_version"
        case .threeDSStatusReasonInvalid: "three_ds_status_reason"
        case .unknownProfile: "profile"
        case .nothingToCheck: nil
        }
    }

    public var description: String {
        switch self {
        case .panEmpty:
            "pan has no digits"
        case let .panInvalidCharacter(position):
            "pan has a character other than a digit, space or dash at position \(position)"
        case let .panLength(digits):
            "pan has \(digits) digits; a PAN has \(PAN.digitRange.lowerBound) to \(PAN.digitRange.upperBound)"
        case let .cscIndicatorInvalid(value):
            "csc_indicator \(value) is not 0 (not provided), 1 (provided), 2 (illegible) or 9 (not on card)"
        case let .cscContradiction(indicator, entered):
            "csc_indicator says \(indicator.name) but the csc entered says \(entered.name)"
        case .threeDSStatusMissing:
            "3-D Secure data (eci, authentication_value, three_ds_version, three_ds_status_reason) needs its three_ds_status"
        case .threeDSStatusInvalid:
            "three_ds_status must be one of Y, A, N, U, R, C, D, I"
        case .eciInvalid:
            "eci must be two letters or digits (05, 02, N0, ...)"
        case .threeDSVersionInvalid:
            "three_ds_version must be three dot-separated numbers (2.2.0)"
        case .threeDSStatusReasonInvalid:
            "three_ds_status_reason must be two digits"
        case .unknownProfile:
            "profile names none of the daemon's profiles (its profiles directory has one NAME.conf per profile)"
        case .nothingToCheck:
            "the request has no pan, expiry, csc, csc_indicator, address or 3-D Secure data to check"
        }
    }
}
