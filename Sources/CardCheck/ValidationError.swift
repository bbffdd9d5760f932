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
        case .nothingToCheck: "nothing_to_check"
        }
    }

    /// The request field at fault, if one.
    public var field: String? {
        switch self {
        case .panEmpty, .panInvalidCharacter, .panLength: "pan"
        case .cscIndicatorInvalid: "csc_indicator"
        case .cscContradiction: "csc"
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
        case .nothingToCheck:
            "the request has no pan, expiry, csc, csc_indicator or address to check"
        }
    }
}
