/// Names a card verification key without showing it: its label and its key check value (KCV).
public struct KeyIdentity: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var checkValue: String

    public init(name: String, checkValue: String) {
        self.name = name
        self.checkValue = checkValue
    }

    public var description: String { "\(name) (KCV \(checkValue))" }
}

/// What checking a code against the issuer's keys found.
public enum SecurityCodeVerification: Sendable, Hashable {
    /// The code is right under this key (with rotation, the key that matched).
    case match(KeyIdentity)
    /// No key of the card's range makes it right.
    case noMatch
    /// No key covers the card.
    case noKey
    /// The card is locked by velocity limits: the code was not checked (the same answer for any code).
    case locked

    /// The CSC result letter: M, N, or U when no key covers the card.
    public var result: CSCResult {
        switch self {
        case .match: .M
        case .noMatch: .N
        case .noKey: .U
        case .locked: .L
        }
    }
}

/// Makes and checks card verification values for any service code (the stripe's CVV/CVC with the
/// card's service code, the printed CVV2/CVC2 with 000, the chip's iCVV with 999), the way the issuer
/// does. The wire's `CSC_GENERATE` and `CSC_VERIFY` operations know only this protocol; the keys and
/// the cipher live in `CardCheckCrypto`.
public protocol SecurityCodeIssuer: SecurityCodeVerifier {
    /// The 3-digit code under the first key of the card's range and that key, or nil when no key covers
    /// the card.
    func issueCode(pan: PAN, expiry: YearMonth, serviceCode: UInt16) -> (code: String, key: KeyIdentity)?

    /// Checks `code` (ASCII) against every key of the card's range, in constant time per key.
    func verifyCode(
        _ code: UnsafeBufferPointer<UInt8>,
        pan: PAN,
        expiry: YearMonth,
        serviceCode: UInt16
    ) -> SecurityCodeVerification
}
