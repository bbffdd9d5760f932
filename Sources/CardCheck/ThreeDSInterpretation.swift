/// What a 3-D Secure code means: shared/reference/three-d-secure.md's tables (EMVCo's transStatus and
/// transStatusReason, the ECI by brand, Visa's CAVV result codes), with liability shift and an action.
public struct ThreeDSCodeInterpretation: Sendable, Hashable {
    public let code: String
    public let meaning: String
    /// `true` shifts fraud liability to the issuer, `false` does not, `nil` when the code alone does not say.
    public let liabilityShift: Bool?
    public let recommendedAction: Action
    public let advice: String
}

extension Interpretation {
    /// A transStatus letter; the action is the default policy's for the reason the status raises.
    public static func threeDSStatus(_ status: ThreeDSStatus) -> ThreeDSCodeInterpretation {
        let (meaning, shift, advice): (String, Bool?, String) =
            switch status {
            case .Y: ("authenticated: account verified", true, "authorise with the ECI and authentication value")
            case .A:
                (
                    "attempts processing: not authenticated, but proof of the attempt given", true,
                    "authorise with the ECI and authentication value (some providers: Mastercard attempts sometimes shift)"
                )
            case .N:
                (
                    "not authenticated; transaction denied", false,
                    "do not authorise; ask for another payment method"
                )
            case .U:
                (
                    "authentication could not be performed (technical or other problem)", false,
                    "retry authentication, or authorise without liability shift"
                )
            case .R:
                (
                    "rejected: the issuer asks that authorisation not be attempted", false,
                    "do not authorise"
                )
            case .C: ("challenge required (interim)", nil, "wait for the challenge's result")
            case .D:
                (
                    "challenge required, decoupled authentication confirmed (interim)", nil,
                    "wait for the challenge's result"
                )
            case .I:
                (
                    "informational only: the requestor's challenge preference acknowledged (an exemption)", false,
                    "authorise without liability shift"
                )
            }
        let action = status.raisedReason.map { DecisionPolicy.cardNetworkDefaults[$0] } ?? .accept
        return ThreeDSCodeInterpretation(
            code: String(status.letter),
            meaning: meaning,
            liabilityShift: shift,
            recommendedAction: action,
            advice: advice
        )
    }

    /// transStatusReason's two digits; `nil` for a code outside 01–26 and 80–99.
    public static func threeDSStatusReason(_ code: String) -> String? {
        guard code.count == 2, let number = Int(code), code.allSatisfy(\.isASCII) else { return nil }
        if (80...99).contains(number) { return "reserved for directory-server use" }
        guard (1...statusReasons.count).contains(number) else { return nil }
        return statusReasons[number - 1]
    }

    static let statusReasons = [
        "card authentication failed", "unknown device", "unsupported device", "exceeds authentication frequency limit",
        "expired card", "invalid card number", "invalid transaction", "no card record", "security failure",
        "stolen card", "suspected fraud", "transaction not permitted to cardholder",
        "cardholder not enrolled in service", "transaction timed out at the ACS", "low confidence",
        "medium confidence", "high confidence", "very high confidence", "exceeds ACS maximum challenges",
        "non-payment transaction not supported", "3RI transaction not supported", "ACS technical issue",
        "decoupled authentication required by ACS but not requested",
        "requestor's decoupled maximum expiry time exceeded",
        "decoupled authentication was given insufficient time, ACS will not attempt",
        "authentication attempted but not performed by the cardholder",
    ]

    /// An ECI, for the Visa-style family (Visa, American Express, Discover, Diners, JCB, UnionPay, Elo) and for
    /// Mastercard and Maestro: `nil` where that family does not use the value.
    public static func eci(_ text: String) -> (visa: ThreeDSCodeInterpretation?, mastercard: ThreeDSCodeInterpretation?)
    {
        let code = text.uppercased()
        func row(_ meaning: String, _ shift: Bool, _ action: Action, _ advice: String) -> ThreeDSCodeInterpretation {
            ThreeDSCodeInterpretation(
                code: code,
                meaning: meaning,
                liabilityShift: shift,
                recommendedAction: action,
                advice: advice
            )
        }
        let authorise = "authorise with the authentication value"
        let noShift = "authorise without liability shift"
        let visa: ThreeDSCodeInterpretation? =
            switch code {
            case "05": row("authenticated", true, .accept, authorise)
            case "06": row("attempted (issuer or ACS not participating)", true, .accept, authorise)
            case "07": row("not authenticated, or an exemption", false, .accept, noShift)
            default: nil
            }
        let mastercard: ThreeDSCodeInterpretation? =
            switch code {
            case "02": row("authenticated", true, .accept, authorise)
            case "01": row("attempted", true, .accept, authorise)
            case "00": row("not authenticated", false, .accept, noShift)
            case "04": row("data only (no authentication)", false, .accept, noShift)
            case "06": row("SCA exemption or out of scope", false, .accept, noShift)
            case "07": row("authenticated recurring", true, .accept, authorise)
            case "N0", "N2":
                row("non-payment authentication: no authorisation follows", false, .accept, "do not authorise")
            default: nil
            }
        return (visa, mastercard)
    }

    /// Visa's CAVV result code in the authorisation response (field 44.13): a digit or A–D; `nil` otherwise.
    public static func cavvResult(_ text: String) -> ThreeDSCodeInterpretation? {
        let failed = "the issuer did not verify the authentication value: treat as fraud"
        let rows: [String: (String, Bool?, Action, String)] = [
            "0": ("not validated: erroneous data", false, .review, "investigate before deciding"),
            "1": ("failed: authentication", false, .decline, failed),
            "2": ("passed: authentication", true, .accept, "complete, considering everything else"),
            "3": ("passed: attempt (issuer key)", true, .accept, "complete, considering everything else"),
            "4": ("failed: attempt", false, .decline, failed),
            "5": ("reserved", nil, .review, "investigate before deciding"),
            "6": ("not validated: issuer not participating", false, .review, "decide without 3-D Secure"),
            "7": ("failed: attempt (Visa key)", false, .decline, failed),
            "8": ("passed: attempt (Visa key)", true, .accept, "complete, considering everything else"),
            "9": ("failed: attempt, ACS unavailable (Visa key)", false, .decline, failed),
            "A": (
                "passed: attempt, ACS unavailable (Visa key)", true, .accept, "complete, considering everything else"
            ),
            "B": ("passed: no liability shift", false, .accept, "complete without liability shift"),
            "C": ("not validated: attempt", false, .review, "decide without 3-D Secure"),
            "D": ("not validated: authentication", false, .review, "decide without 3-D Secure"),
        ]
        let code = text.uppercased()
        guard let (meaning, shift, action, advice) = rows[code] else { return nil }
        return ThreeDSCodeInterpretation(
            code: code,
            meaning: meaning,
            liabilityShift: shift,
            recommendedAction: action,
            advice: advice
        )
    }
}
