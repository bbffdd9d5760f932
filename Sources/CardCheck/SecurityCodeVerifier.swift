/// Checks a card security code cryptographically, the way the issuer does (CVV2/CVC2 from the PAN and
/// expiry under the issuer's card verification key). The engine knows only this protocol; the keys and
/// the cipher live in `CardCheckCrypto`.
public protocol SecurityCodeVerifier: Sendable {
    /// Whether `code` (ASCII digits) is the printed security code of `pan` expiring in `expiry`, or nil
    /// when no key covers the card (the engine then answers `U`).
    func verifyPrintedCode(pan: PAN, expiry: YearMonth, code: UnsafeBufferPointer<UInt8>) -> Bool?
}
