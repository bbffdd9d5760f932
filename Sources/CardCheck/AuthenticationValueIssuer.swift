/// What an access control server puts in the authentication value it makes for an authenticated (`Y`)
/// or attempted (`A`) 3-D Secure transaction: the inputs of a Visa CAVV or a Mastercard SPA AAV
/// (shared/reference/three-d-secure.md). Fields of the other brand are ignored.
public struct AuthenticationValueOrder: Sendable, Hashable {
    /// `Y` or `A`: the Visa CAVV's authentication results code (0 or 7), the Mastercard AAV's control byte
    /// (0x8C or 0x86).
    public var status: ThreeDSStatus
    /// Visa: the CAVV key indicator (1–99); Mastercard: the BIN key identifier (0–15). `nil`: the first key
    /// of that kind for the card's range.
    public var keyIndicator: UInt8?
    /// Visa: the authentication tracking number (16 digits, whose last 4 are the unpredictable number);
    /// Mastercard: the transaction sequence number (32 bits). `nil`: drawn at random.
    public var transactionNumber: UInt64?
    /// Visa: the second factor authentication code, 0–99 (00: 3-D Secure 1, any method).
    public var secondFactor: UInt8
    /// Mastercard: the merchant's name, whose SHA-1 prefix the AAV carries.
    public var merchantName: String
    /// Mastercard: the ACS identifier, 0–7 (8–15 are the CVC2 variant, not made here).
    public var acsIdentifier: UInt8
    /// Mastercard: the authentication method, 0 none (attempts), 1 password, 2 secret key or chip, 3 PKI;
    /// `nil`: 1 for `Y`, 0 for `A`.
    public var authenticationMethod: UInt8?

    public init(
        status: ThreeDSStatus,
        keyIndicator: UInt8? = nil,
        transactionNumber: UInt64? = nil,
        secondFactor: UInt8 = 0,
        merchantName: String = "",
        acsIdentifier: UInt8 = 0,
        authenticationMethod: UInt8? = nil
    ) {
        self.status = status
        self.keyIndicator = keyIndicator
        self.transactionNumber = transactionNumber
        self.secondFactor = secondFactor
        self.merchantName = merchantName
        self.acsIdentifier = acsIdentifier
        self.authenticationMethod = authenticationMethod
    }

    /// The largest Visa authentication tracking number: 16 decimal digits.
    public static let maximumTrackingNumber: UInt64 = 9_999_999_999_999_999

    /// What is wrong with the order for a card of `card`'s brand; nil when it can be made.
    public func problem(visa: Bool) -> AuthenticationValueIssueError? {
        guard status.needsValue else { return .statusNotAuthenticated }
        if visa {
            if let keyIndicator, !(1...99).contains(keyIndicator) { return .keyIndicatorOutOfRange }
            if let transactionNumber, transactionNumber > Self.maximumTrackingNumber {
                return .transactionNumberOutOfRange
            }
            if secondFactor > 99 { return .secondFactorOutOfRange }
        } else {
            if let keyIndicator, keyIndicator > 15 { return .keyIndicatorOutOfRange }
            if let transactionNumber, transactionNumber > UInt64(UInt32.max) { return .transactionNumberOutOfRange }
            if acsIdentifier > 7 { return .acsIdentifierOutOfRange }
            if let authenticationMethod, authenticationMethod > 3 { return .authenticationMethodOutOfRange }
        }
        return nil
    }
}

/// Why an authentication value cannot be made; each has a stable code and the field at fault.
public enum AuthenticationValueIssueError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Only Visa CAVVs and Mastercard SPA AAVs have a public method.
    case brandNotSupported
    /// No key of the kind the brand needs (and the indicator names) covers the card.
    case noKey
    case statusNotAuthenticated
    case keyIndicatorOutOfRange
    case transactionNumberOutOfRange
    case secondFactorOutOfRange
    case acsIdentifierOutOfRange
    case authenticationMethodOutOfRange

    /// The stable error code (Protocol/PROTOCOL.md's registry).
    public var code: String {
        switch self {
        case .brandNotSupported: "brand_not_supported"
        case .noKey: "no_key"
        case .statusNotAuthenticated: "three_ds_status_invalid"
        case .keyIndicatorOutOfRange: "key_indicator_invalid"
        case .transactionNumberOutOfRange: "transaction_number_invalid"
        case .secondFactorOutOfRange: "second_factor_invalid"
        case .acsIdentifierOutOfRange: "acs_id_invalid"
        case .authenticationMethodOutOfRange: "authentication_method_invalid"
        }
    }

    /// The request field at fault.
    public var field: String {
        switch self {
        case .brandNotSupported, .noKey: "pan"
        case .statusNotAuthenticated: "three_ds_status"
        case .keyIndicatorOutOfRange: "key_indicator"
        case .transactionNumberOutOfRange: "transaction_number"
        case .secondFactorOutOfRange: "second_factor"
        case .acsIdentifierOutOfRange: "acs_id"
        case .authenticationMethodOutOfRange: "authentication_method"
        }
    }

    public var description: String {
        switch self {
        case .brandNotSupported:
            "only Visa CAVVs and Mastercard SPA AAVs have a public method; cardcheck makes no other"
        case .noKey: "no CAVV or AAV key covers this card"
        case .statusNotAuthenticated: "an authentication value is made for status Y or A only"
        case .keyIndicatorOutOfRange: "a Visa CAVV key indicator is 01 to 99, a Mastercard key id 0 to 15"
        case .transactionNumberOutOfRange:
            "a Visa tracking number is 16 digits, a Mastercard sequence number 8 hex digits"
        case .secondFactorOutOfRange: "a second factor authentication code is 2 digits"
        case .acsIdentifierOutOfRange: "an HMAC AAV's ACS identifier is 0 to 7"
        case .authenticationMethodOutOfRange: "an AAV's authentication method is 0 to 3"
        }
    }
}

/// Makes and checks 3-D Secure authentication values with issuer keys, as an ACS and an issuer do: the
/// wire's `CAVV_GENERATE` and `CAVV_VERIFY` know only this protocol; the keys and the algorithms live in
/// `CardCheckCrypto`.
public protocol AuthenticationValueIssuer: AuthenticationValueVerifier {
    /// The value for `pan` under the key the order names (or the first of the card's range), and that key.
    func issueAuthenticationValue(
        _ order: AuthenticationValueOrder,
        pan: PAN,
        card: CardAttributes?
    ) throws(AuthenticationValueIssueError) -> (value: AuthenticationValue, key: KeyIdentity)

    /// Checks `value` under the key it names: M with that key, N, or U when no key covers it (another
    /// brand, or a kind of value not verified here).
    func authenticationValueVerification(
        _ value: AuthenticationValue,
        pan: PAN,
        card: CardAttributes?
    ) -> SecurityCodeVerification
}

extension AuthenticationValue {
    /// The value of 20 bytes; nil for any other count.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 20 else { return nil }
        var value: (UInt64, UInt64, UInt32) = (0, 0, 0)
        withUnsafeMutableBytes(of: &value) { out in
            for (index, byte) in bytes.enumerated() { out[index] = byte }
        }
        self.bytes = value
    }

    /// The 20 bytes in order.
    public var byteArray: [UInt8] { withUnsafeBytes(of: bytes) { Array($0) } }

    /// 40 uppercase hex digits.
    public var hex: String {
        let digits = Array("0123456789ABCDEF".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(40)
        for byte in byteArray {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Standard base64 with padding (28 characters), as 3-D Secure messages carry it.
    public var base64: String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        let input = byteArray + [0]  // 21 bytes: seven groups of three
        var text: [UInt8] = []
        text.reserveCapacity(28)
        for group in 0..<7 {
            let bits = UInt32(input[3 * group]) << 16 | UInt32(input[3 * group + 1]) << 8 | UInt32(input[3 * group + 2])
            for position in 0..<4 { text.append(alphabet[Int(bits >> UInt32(18 - 6 * position) & 0x3F)]) }
        }
        text[27] = UInt8(ascii: "=")
        return String(decoding: text, as: UTF8.self)
    }
}
