/// Whether the customer gave a card security code: the CVC2 presence indicator values (Visa uses the same).
public enum CSCPresence: UInt8, Sendable, Hashable, CaseIterable {
    case notProvided = 0
    case provided = 1
    case illegible = 2
    case notOnCard = 9

    /// The stable machine name used in JSON.
    public var name: String {
        switch self {
        case .notProvided: "not_provided"
        case .provided: "provided"
        case .illegible: "illegible"
        case .notOnCard: "not_on_card"
        }
    }

    /// The indicator for a numeric value (0, 1, 2, 9), `nil` for any other.
    @inlinable public init?(indicator: Int) {
        guard (0...255).contains(indicator), let presence = CSCPresence(rawValue: UInt8(indicator)) else { return nil }
        self = presence
    }
}

/// A card security code result code, as cardcheck and issuers return them.
public enum CSCResult: UInt8, Sendable, Hashable, CaseIterable {
    /// Flagged as suspicious (some gateways).
    case D
    /// Failed data validation (some gateways).
    case I
    /// Match.
    case M
    /// No match.
    case N
    /// Not processed.
    case P
    /// Should be on the card; the cardholder states it is not.
    case S
    /// The issuer does not support it, or no key can verify it.
    case U
    /// The check is not supported for this card (some gateways).
    case X
    /// Locked: the card failed too often lately (velocity limits, card testing); the code was not checked,
    /// and every code gets this same answer until the lock ends.
    case L

    /// The letter as one ASCII byte.
    @inlinable public var asciiLetter: UInt8 {
        switch self {
        case .D: UInt8(ascii: "D")
        case .I: UInt8(ascii: "I")
        case .M: UInt8(ascii: "M")
        case .N: UInt8(ascii: "N")
        case .P: UInt8(ascii: "P")
        case .S: UInt8(ascii: "S")
        case .U: UInt8(ascii: "U")
        case .X: UInt8(ascii: "X")
        case .L: UInt8(ascii: "L")
        }
    }

    public var letter: Character {
        switch self {
        case .D: "D"
        case .I: "I"
        case .M: "M"
        case .N: "N"
        case .P: "P"
        case .S: "S"
        case .U: "U"
        case .X: "X"
        case .L: "L"
        }
    }

    public init?(letter: Character) {
        guard let code = CSCResult.allCases.first(where: { $0.letter == letter }) else { return nil }
        self = code
    }
}

/// What the engine concluded about the card security code of a request.
@frozen public struct CSCCheck: Sendable, Hashable {
    public var presence: CSCPresence
    /// Whether a provided code has the brand's format (digits, 4 for Amex, 3 for others; 3 or 4 when the
    /// brand is unknown). `nil` when no code was provided (not given, illegible, not on card).
    public var formatValid: Bool?
    /// `S` stated not on card, `P` illegible or malformed, `U` well-formed but no key verifies it,
    /// `M`/`N` once verified; `nil` when no code was provided at all.
    public var result: CSCResult?

    @inlinable public init(presence: CSCPresence, formatValid: Bool?, result: CSCResult?) {
        self.presence = presence
        self.formatValid = formatValid
        self.result = result
    }
}

/// The card security code rules: what the customer entered (digits, `X` for "my card has no code", `I` for
/// "illegible", or empty) and the presence indicator, reconciled and checked against the brand.
public enum SecurityCodeRules {
    /// What the entered value says about presence.
    @usableFromInline enum Entry {
        case empty, noCode, illegible
        case digits(count: Int)
        case malformed
    }

    @inlinable static func classify(_ bytes: UnsafeBufferPointer<UInt8>) -> Entry {
        if bytes.isEmpty { return .empty }
        if bytes.count == 1 {
            switch bytes[0] | 0x20 {  // ASCII lower case
            case UInt8(ascii: "x"): return .noCode
            case UInt8(ascii: "i"): return .illegible
            default: break
            }
        }
        for byte in bytes where !byte.isASCIIDigit { return .malformed }
        return .digits(count: bytes.count)
    }

    /// Evaluates a request's security code. Returns `nil` when the request asks nothing about it (no value and
    /// no indicator). Throws ``ValidationError/cscContradiction(indicator:entered:)`` when the value and the
    /// indicator disagree. The value itself never appears in the result or in an error.
    public static func check(
        entered: String?,
        indicator: CSCPresence?,
        brand: Brand?
    ) throws(ValidationError) -> CSCCheck? {
        try entered.withUTF8Field { field in
            Result { () throws(ValidationError) in try check(enteredUTF8: field, indicator: indicator, brand: brand) }
        }.get()
    }

    /// As ``check(entered:indicator:brand:)``, over borrowed bytes.
    @inlinable public static func check(
        enteredUTF8 entered: UTF8Field,
        indicator: CSCPresence?,
        brand: Brand?
    ) throws(ValidationError) -> CSCCheck? {
        try check(enteredUTF8: entered, indicator: indicator, codeLength: brand?.securityCodeLength)
    }

    /// As ``check(entered:indicator:brand:)``, over borrowed bytes, with the brand's code length (`nil`:
    /// an unknown brand, whose code may have 3 or 4 digits).
    @inlinable public static func check(
        enteredUTF8 entered: UTF8Field,
        indicator: CSCPresence?,
        codeLength: Int?
    ) throws(ValidationError) -> CSCCheck? {
        if entered == nil && indicator == nil { return nil }
        let entry = classify(entered.orEmpty)
        let stated: CSCPresence
        switch entry {
        case .empty: stated = .notProvided
        case .noCode: stated = .notOnCard
        case .illegible: stated = .illegible
        case .digits, .malformed: stated = .provided
        }
        let presence: CSCPresence
        if let indicator {
            // An indicator may come alone (empty value) or confirm what the value says.
            guard stated == indicator || stated == .notProvided && indicator != .provided else {
                throw .cscContradiction(indicator: indicator, entered: stated)
            }
            presence = indicator
        } else {
            presence = stated
        }
        switch presence {
        case .notProvided: return CSCCheck(presence: .notProvided, formatValid: nil, result: nil)
        case .illegible: return CSCCheck(presence: .illegible, formatValid: nil, result: .P)
        case .notOnCard: return CSCCheck(presence: .notOnCard, formatValid: nil, result: .S)
        case .provided:
            let wellFormed: Bool
            if case let .digits(count) = entry {
                wellFormed = codeLength.map { count == $0 } ?? (count == 3 || count == 4)
            } else {
                wellFormed = false
            }
            return CSCCheck(presence: .provided, formatValid: wellFormed, result: wellFormed ? .U : .P)
        }
    }
}
