/// How a result code speaks about one part of an address.
public enum MatchFlag: UInt8, Sendable, Hashable {
    case match
    case noMatch
    /// Not checked, or unknown.
    case notChecked
    /// The issuer does not support the check.
    case notSupported

    /// `true`, `false`, or `nil` for not checked or not supported.
    @inlinable public var asBool: Bool? {
        switch self {
        case .match: true
        case .noMatch: false
        case .notChecked, .notSupported: nil
        }
    }
}

/// What an AVS code returned by an issuer means.
public struct AVSInterpretation: Sendable, Hashable {
    public let code: AVSCode
    public let meaning: String
    public let street: MatchFlag
    public let postal: MatchFlag
    /// The card networks' recommendation, which ``DecisionPolicy/cardNetworkDefaults`` adopts.
    public let recommendedAction: Action
    public let advice: String
}

/// What a CSC result code returned by an issuer or gateway means.
public struct CSCInterpretation: Sendable, Hashable {
    public let code: CSCResult
    public let meaning: String
    public let recommendedAction: Action
    public let advice: String
}

/// The result code tables of shared/reference/codes.md: every AVS letter A-Z of the common gateway tables
/// (with the Amex name-match and the Visa international letters) and every CSC result.
public enum Interpretation {
    @inlinable public static func avs(_ code: AVSCode) -> AVSInterpretation { avsTable[Int(code.rawValue)] }
    @inlinable public static func csc(_ code: CSCResult) -> CSCInterpretation { cscTable[Int(code.rawValue)] }

    private static let process = "process if the other checks raise nothing"
    private static let investigate = "potential fraud: investigate before deciding"
    private static let nameMismatch = "the cardholder name does not match: investigate before deciding"

    @usableFromInline static let avsTable: [AVSInterpretation] = {
        typealias Row = (AVSCode, String, Action, String)
        let rows: [Row] = [
            (.A, "street matches, postal code does not", .review, investigate),
            (
                .B, "street matches, postal code not verified (Visa, non-US)", .review,
                "partial match: investigate before deciding"
            ),
            (
                .C, "neither street nor postal code matches (Visa, non-US)", .review,
                "strong sign of fraud: investigate"
            ),
            (.D, "street and postal code match (Visa, non-US)", .accept, process),
            (
                .E, "AVS data invalid, or AVS not allowed for this card type or entry mode",
                .review, "decide without AVS"
            ),
            (.F, "cardholder name wrong, postal code matches (Amex)", .review, nameMismatch),
            (
                .G, "non-US issuer, AVS not supported (global)", .review,
                "address outside the US: verify by other means"
            ),
            (.H, "cardholder name wrong, street and postal code match (Amex)", .review, nameMismatch),
            (
                .I, "address not verified (Visa, non-US)", .review,
                "address not verified: verify by other means"
            ),
            (
                .J, "name, address and postal code match; shipping verified, chargeback protection (Amex)", .accept,
                process
            ),
            (
                .K, "cardholder name matches, street and postal code do not (Amex)", .review,
                "strong sign of fraud: investigate"
            ),
            (
                .L, "cardholder name and postal code match, street does not (Amex)", .review,
                investigate
            ),
            (.M, "street and postal code match (Visa, non-US)", .accept, process),
            (
                .N, "neither street nor postal code matches", .review,
                "strong sign of fraud: investigate"
            ),
            (
                .O, "cardholder name and street match, postal code does not (Amex)", .review,
                investigate
            ),
            (
                .P, "postal code matches, street not verified (Visa, non-US)", .review,
                "partial match: investigate before deciding"
            ),
            (
                .Q, "name, address and postal code match; shipping verified, no chargeback protection (Amex)", .accept,
                process
            ),
            (.R, "issuer system unavailable", .retry, "try again later"),
            (.S, "US issuer does not support AVS", .review, "decide without AVS"),
            (.T, "cardholder name wrong, street matches (Amex)", .review, nameMismatch),
            (.U, "address information unavailable", .review, "decide without AVS"),
            (.V, "cardholder name, street and postal code match (Amex)", .accept, process),
            (.W, "street does not match, 9-digit ZIP matches", .review, investigate),
            (.X, "street and 9-digit ZIP match (exact)", .accept, process),
            (.Y, "street and 5-digit ZIP match", .accept, process),
            (.Z, "street does not match, 5-digit ZIP matches", .review, investigate),
        ]
        precondition(rows.map(\.0) == AVSCode.allCases, "AVS table must list A to Z in order")
        return rows.map {
            AVSInterpretation(
                code: $0,
                meaning: $1,
                street: $0.street,
                postal: $0.postal,
                recommendedAction: $2,
                advice: $3
            )
        }
    }()

    @usableFromInline static let cscTable: [CSCInterpretation] = {
        let rows: [(CSCResult, String, Action, String)] = [
            (.D, "flagged as suspicious", .decline, "treat like N: very strong fraud indicator"),
            (.I, "failed data validation", .retry, "treat like a format error: ask for the code again"),
            (.M, "match", .accept, "complete, considering everything else"),
            (
                .N, "no match", .decline,
                "very strong fraud indicator; may be a key-entry error, so a resubmission can be offered"
            ),
            (.P, "not processed", .retry, "resubmit"),
            (
                .S, "should be on the card; the cardholder states it is not", .review,
                "follow up: the code should be on every valid card"
            ),
            (
                .U, "issuer does not support the check, or unable to process", .review,
                "decide on the other information"
            ),
            (.X, "check not supported for this card", .review, "treat like U: decide on the other information"),
            (
                .L, "locked: the card failed too often lately; the code was not checked", .decline,
                "card testing: decline without saying which detail was wrong; the lock ends with its window"
            ),
        ]
        precondition(rows.map(\.0) == CSCResult.allCases, "CSC table must list every result in order")
        return rows.map { CSCInterpretation(code: $0, meaning: $1, recommendedAction: $2, advice: $3) }
    }()
}
