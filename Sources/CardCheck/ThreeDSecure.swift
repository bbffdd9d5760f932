/// 3-D Secure's outcome as a gateway receives it (EMV 3DS `transStatus`; 3DS 1's PARes status is the
/// same letters), shared/reference/three-d-secure.md.
public enum ThreeDSStatus: UInt8, Sendable, Hashable, CaseIterable {
    // The raw value is the letter's ASCII code.
    case Y = 0x59
    case A = 0x41
    case N = 0x4E
    case U = 0x55
    case R = 0x52
    case C = 0x43
    case D = 0x44
    case I = 0x49

    public var letter: Character { Character(Unicode.Scalar(asciiLetter)) }

    @inlinable public var asciiLetter: UInt8 { rawValue }

    /// Inline comparisons: the synthesized `init(rawValue:)` is an out-of-line call (13 instructions).
    @inlinable @inline(__always) public init?(asciiLetter: UInt8) {
        switch asciiLetter {
        case 0x59: self = .Y
        case 0x41: self = .A
        case 0x4E: self = .N
        case 0x55: self = .U
        case 0x52: self = .R
        case 0x43: self = .C
        case 0x44: self = .D
        case 0x49: self = .I
        default: return nil
        }
    }

    public init?(letter: Character) {
        guard let ascii = letter.asciiValue, let status = ThreeDSStatus(asciiLetter: ascii) else { return nil }
        self = status
    }

    /// The Visa CAVV's authentication results code (its first byte) for this status, where one is defined.
    @inlinable var cavvResultsCode: UInt8? {
        switch self {
        case .Y: 0
        case .A: 7
        case .U: 5
        case .N, .R: 9
        case .C, .D, .I: nil
        }
    }
}

/// What cardcheck makes of 3-D Secure data: the outcome, or `invalid` when an authenticated or attempted
/// status comes with an ECI or an authentication value that does not back it.
public enum ThreeDSResult: UInt8, Sendable, Hashable, CaseIterable {
    case authenticated = 1
    case attempted
    case notAuthenticated
    case unavailable
    case rejected
    case pending
    case informational
    case invalid

    /// The machine name in JSON and the documentation.
    public var name: String {
        switch self {
        case .authenticated: "authenticated"
        case .attempted: "attempted"
        case .notAuthenticated: "not_authenticated"
        case .unavailable: "unavailable"
        case .rejected: "rejected"
        case .pending: "pending"
        case .informational: "informational"
        case .invalid: "invalid"
        }
    }
}

/// The 3-D Secure check's answer.
@frozen public struct ThreeDSCheck: Sendable, Hashable {
    public var result: ThreeDSResult
    /// Whether fraud liability shifts to the issuer: an authenticated or attempted outcome whose ECI and
    /// authentication value back it (never for an exemption, data-only or non-payment ECI).
    public var liabilityShift: Bool
    /// The authentication value checked with the issuer's key (a well-formed value with a PAN): `M`, `N`,
    /// or `U` when no key covers it; `nil` without one.
    public var valueResult: AuthenticationValueResult?

    @inlinable public init(result: ThreeDSResult, liabilityShift: Bool, valueResult: AuthenticationValueResult? = nil) {
        self.result = result
        self.liabilityShift = liabilityShift
        self.valueResult = valueResult
    }
}

/// An authentication value checked with an issuer key.
public enum AuthenticationValueResult: UInt8, Sendable, Hashable, CaseIterable {
    // The raw value is the letter's ASCII code.
    case M = 0x4D
    case N = 0x4E
    case U = 0x55

    @inlinable public var asciiLetter: UInt8 { rawValue }

    public var letter: Character { Character(Unicode.Scalar(asciiLetter)) }

    public init?(letter: Character) {
        guard let ascii = letter.asciiValue else { return nil }
        self.init(rawValue: ascii)
    }
}

/// Verifies 3-D Secure authentication values (Visa CAVV, Mastercard AAV) with issuer keys: the crypto
/// module's key table, where the key file has `purpose=cavv` and `purpose=aav` lines.
public protocol AuthenticationValueVerifier: Sendable {
    /// `true` when the value is the card's, `false` when not, `nil` when no key covers it.
    func verifyAuthenticationValue(_ value: AuthenticationValue, pan: PAN, card: CardAttributes?) -> Bool?
}

/// A request's 3-D Secure fields as borrowed UTF-8 bytes; all `nil` when the request has none.
@frozen public struct ThreeDSFields {
    /// `Y A N U R C D I`.
    public var status: UTF8Field
    /// Two characters: `05`, `02`, `N0`, ...
    public var eci: UTF8Field
    /// The CAVV, AAV or AEVV: 20 bytes as base64 (28 characters, or 27 unpadded; `+/` or `-_`) or 40 hex digits.
    public var authenticationValue: UTF8Field
    /// The message version, `2.2.0` (3DS 1: `1.0.2`).
    public var version: UTF8Field
    /// `transStatusReason`: two digits.
    public var statusReason: UTF8Field

    @inlinable public init(
        status: UTF8Field = nil,
        eci: UTF8Field = nil,
        authenticationValue: UTF8Field = nil,
        version: UTF8Field = nil,
        statusReason: UTF8Field = nil
    ) {
        self.status = status
        self.eci = eci
        self.authenticationValue = authenticationValue
        self.version = version
        self.statusReason = statusReason
    }

    @inlinable public var isEmpty: Bool {
        status == nil && eci == nil && authenticationValue == nil && version == nil && statusReason == nil
    }
}

/// A request's 3-D Secure data as strings (see ``ThreeDSFields``).
public struct ThreeDSData: Sendable, Hashable {
    public var status: String?
    public var eci: String?
    public var authenticationValue: String?
    public var version: String?
    public var statusReason: String?

    public init(
        status: String? = nil,
        eci: String? = nil,
        authenticationValue: String? = nil,
        version: String? = nil,
        statusReason: String? = nil
    ) {
        self.status = status
        self.eci = eci
        self.authenticationValue = authenticationValue
        self.version = version
        self.statusReason = statusReason
    }

    public var isEmpty: Bool {
        status == nil && eci == nil && authenticationValue == nil && version == nil && statusReason == nil
    }
}

/// The 20 bytes of a CAVV, AAV or AEVV.
@frozen public struct AuthenticationValue: Sendable, Hashable {
    public var bytes: (UInt64, UInt64, UInt32)

    public static func == (lhs: AuthenticationValue, rhs: AuthenticationValue) -> Bool {
        lhs.bytes.0 == rhs.bytes.0 && lhs.bytes.1 == rhs.bytes.1 && lhs.bytes.2 == rhs.bytes.2
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(bytes.0)
        hasher.combine(bytes.1)
        hasher.combine(bytes.2)
    }

    @inlinable public subscript(index: Int) -> UInt8 {
        withUnsafeBytes(of: bytes) { $0[index] }
    }

    /// Decodes 40 hex digits or the base64 of 20 bytes; `nil` for anything else.
    @inlinable public init?(utf8 text: UnsafeBufferPointer<UInt8>) {
        var value: (UInt64, UInt64, UInt32) = (0, 0, 0)
        let decoded = withUnsafeMutableBytes(of: &value) { out -> Bool in
            if text.count == 40 {
                return AuthenticationValue.decodeHex(text, table: AuthenticationValue.hexPointer, into: out)
            }
            guard text.count == 27 || (text.count == 28 && text[27] == UInt8(ascii: "=")) else { return false }
            return AuthenticationValue.decodeBase64(text, tables: AuthenticationValue.base64Pointer, into: out)
        }
        guard decoded else { return nil }
        bytes = value
    }

    /// A hex digit's value; `nil` for any other byte.
    public static func hexValue(_ byte: UInt8) -> UInt8? {
        let value = hexPointer[Int(byte)]
        return value == 0xFF ? nil : value
    }

    /// Makes a table once, as a plain pointer that is never freed: reading it takes no retain of an array
    /// buffer and no closure (callgrind: 43 instructions a value with an array's `withUnsafeBufferPointer`).
    static func table<Element>(_ elements: [Element]) -> UnsafeBufferPointer<Element> {
        let table = UnsafeMutableBufferPointer<Element>.allocate(capacity: elements.count)
        _ = table.initialize(from: elements)
        return UnsafeBufferPointer(table)
    }

    /// A byte's value as a hex digit; 0xFF for any other byte.
    // nonisolated(unsafe), here and below: written once by the initializer, then only read.
    @usableFromInline nonisolated(unsafe) static let hexPointer = table(
        (0...255).map { byte -> UInt8 in
            switch byte {
            case 0x30...0x39: UInt8(byte - 0x30)
            case 0x41...0x46: UInt8(byte - 0x41 + 10)
            case 0x61...0x66: UInt8(byte - 0x61 + 10)
            default: 0xFF
            }
        }
    )

    /// Four tables of 256, one per position in a group of four base64 characters, each giving the
    /// character's six bits already shifted into place in the group's 24 (`+/` and `-_` alike), or
    /// `invalidBase64` (above any 24-bit value) for a byte that is no base64 digit: a group decodes with four
    /// loads and three ORs, and is valid when the result is below `invalidBase64`.
    @usableFromInline static let invalidBase64: UInt32 = 0x0100_0000
    @usableFromInline nonisolated(unsafe) static let base64Pointer = table(
        (0..<4).flatMap { position in
            (0...255).map { byte -> UInt32 in
                let digit: UInt32
                switch byte {
                case 0x41...0x5A: digit = UInt32(byte - 0x41)
                case 0x61...0x7A: digit = UInt32(byte - 0x61 + 26)
                case 0x30...0x39: digit = UInt32(byte - 0x30 + 52)
                case 0x2B, 0x2D: digit = 62
                case 0x2F, 0x5F: digit = 63
                default: return invalidBase64
                }
                return digit << UInt32(18 - 6 * position)
            }
        }
    )

    @inlinable static func decodeHex(
        _ text: UnsafeBufferPointer<UInt8>,
        table: UnsafeBufferPointer<UInt8>,
        into out: UnsafeMutableRawBufferPointer
    ) -> Bool {
        var invalid: UInt8 = 0
        for index in 0..<20 {
            let high = table[Int(text[2 &* index])]
            let low = table[Int(text[2 &* index &+ 1])]
            invalid |= high | low
            out[index] = high << 4 | low & 0x0F
        }
        return invalid & 0xF0 == 0
    }

    /// Six groups of four characters (18 bytes), then three characters for the last two bytes, whose
    /// last two bits must be zero (a canonical encoding).
    @inlinable static func decodeBase64(
        _ text: UnsafeBufferPointer<UInt8>,
        tables: UnsafeBufferPointer<UInt32>,
        into out: UnsafeMutableRawBufferPointer
    ) -> Bool {
        var union: UInt32 = 0
        for group in 0..<6 {
            let at = group &* 4
            let bits =
                tables[Int(text[at])] | tables[256 &+ Int(text[at &+ 1])] | tables[512 &+ Int(text[at &+ 2])]
                | tables[768 &+ Int(text[at &+ 3])]
            union |= bits
            out[group &* 3] = UInt8(truncatingIfNeeded: bits >> 16)
            out[group &* 3 &+ 1] = UInt8(truncatingIfNeeded: bits >> 8)
            out[group &* 3 &+ 2] = UInt8(truncatingIfNeeded: bits)
        }
        // The last three characters in positions 0-2: 18 bits, 16 of data and 2 of padding.
        let last = tables[Int(text[24])] | tables[256 &+ Int(text[25])] | tables[512 &+ Int(text[26])]
        out[18] = UInt8(truncatingIfNeeded: last >> 16)
        out[19] = UInt8(truncatingIfNeeded: last >> 8)
        return (union | last) < invalidBase64 && last & 0xFF == 0
    }
}

/// The ECI conventions: Mastercard's (02 authenticated, 01 attempted, 00 not) and everyone else's (Visa,
/// American Express, Discover, Diners, JCB, UnionPay, Elo: 05, 06, 07).
@usableFromInline enum ECIFamily {
    case mastercard
    case visa

    @inlinable static func of(_ card: CardAttributes?) -> ECIFamily? {
        guard let card else { return nil }
        return card.isMastercardOrMaestro ? .mastercard : .visa
    }
}

/// Checks 3-D Secure data against itself and the card's brand.
public enum ThreeDSRules {
    /// What the data says, and the reasons it raises. Throws for a field that is not what its name says
    /// (an unknown status, an ECI that is not two characters, a malformed version or reason); a missing,
    /// malformed or inconsistent authentication value is a reason, not an error, as gateways pass on what
    /// they receive.
    @inlinable public static func check(
        _ fields: ThreeDSFields,
        card: CardAttributes?,
        reasons: inout ReasonSet,
        decodedValue: inout AuthenticationValue?
    ) throws(ValidationError) -> ThreeDSCheck? {
        if fields.isEmpty { return nil }
        guard let statusBytes = fields.status else { throw .threeDSStatusMissing }
        guard statusBytes.count == 1, let status = ThreeDSStatus(asciiLetter: statusBytes[0]) else {
            throw .threeDSStatusInvalid
        }
        var eci: (UInt8, UInt8)?
        if let bytes = fields.eci {
            guard bytes.count == 2, bytes[0].isASCIIAlphanumeric, bytes[1].isASCIIAlphanumeric else {
                throw .eciInvalid
            }
            eci = (bytes[0].asciiUppercased, bytes[1].asciiUppercased)
        }
        if let version = fields.version, !ThreeDSRules.isVersion(version) { throw .threeDSVersionInvalid }
        if let reason = fields.statusReason {
            guard reason.count == 2, reason[0].isASCIIDigit, reason[1].isASCIIDigit else {
                throw .threeDSStatusReasonInvalid
            }
        }

        var consistent = true
        var shiftAllowed = true
        let family = ECIFamily.of(card)
        if let eci {
            switch ThreeDSRules.eciAgrees(eci, status: status, family: family) {
            case .agrees: break
            case .agreesWithoutShift: shiftAllowed = false
            case .disagrees:
                reasons.insert(.threeDSECIMismatch)
                consistent = false
            }
        }
        var value: AuthenticationValue?
        if let text = fields.authenticationValue {
            value = AuthenticationValue(utf8: text)
            decodedValue = value
            if value == nil {
                reasons.insert(.threeDSValueInvalid)
                consistent = false
            }
        }
        let needsValue = status == .Y || status == .A
        if needsValue && fields.authenticationValue == nil {
            reasons.insert(.threeDSValueMissing)
            consistent = false
        }
        // A Visa CAVV starts with the authentication results code, which must be the status's.
        if let value, card?.isVisa == true, let expected = status.cavvResultsCode,
            value[0] != expected
        {
            reasons.insert(.threeDSValueInvalid)
            consistent = false
        }

        switch status {
        case .Y, .A:
            guard consistent else { return ThreeDSCheck(result: .invalid, liabilityShift: false) }
            return ThreeDSCheck(result: status == .Y ? .authenticated : .attempted, liabilityShift: shiftAllowed)
        case .N:
            reasons.insert(.threeDSNotAuthenticated)
            return ThreeDSCheck(result: .notAuthenticated, liabilityShift: false)
        case .U:
            reasons.insert(.threeDSUnavailable)
            return ThreeDSCheck(result: .unavailable, liabilityShift: false)
        case .R:
            reasons.insert(.threeDSRejected)
            return ThreeDSCheck(result: .rejected, liabilityShift: false)
        case .C, .D:
            reasons.insert(.threeDSPending)
            return ThreeDSCheck(result: .pending, liabilityShift: false)
        case .I:
            return ThreeDSCheck(result: .informational, liabilityShift: false)
        }
    }

    @usableFromInline enum ECIAgreement {
        case agrees
        /// A Mastercard ECI that carries no liability shift (data only, exemption, non-payment).
        case agreesWithoutShift
        case disagrees
    }

    /// Whether `eci` is one the brand's family uses for `status` (either family when the brand is unknown).
    /// Flat, with no call: the ECI digits that agree are a bit mask per family.
    @inlinable @inline(__always) static func eciAgrees(
        _ eci: (UInt8, UInt8),
        status: ThreeDSStatus,
        family: ECIFamily?
    ) -> ECIAgreement {
        // Interim statuses have no ECI of their own.
        if status == .C || status == .D { return .agrees }
        let zero = UInt8(ascii: "0")
        let digit = eci.1 &- zero
        if eci.0 == UInt8(ascii: "N") && family != .visa {
            // Mastercard's N0, N2: non-payment authentication (no authorisation, no shift).
            return digit == 0 || digit == 2 ? .agreesWithoutShift : .disagrees
        }
        guard eci.0 == zero, digit < 10 else { return .disagrees }
        let visa: UInt16 = status == .Y ? 1 << 5 : status == .A ? 1 << 6 : 1 << 7
        // 07 with Y: authenticated recurring (shift). With I: an exemption (06), data only (04), or not
        // authenticated (00), none shifting liability.
        let mastercard: UInt16 =
            status == .Y ? 1 << 2 | 1 << 7 : status == .A ? 1 << 1 : status == .I ? 1 << 0 | 1 << 4 | 1 << 6 : 1 << 0
        let agreeing: UInt16
        switch family {
        case .visa?: agreeing = visa
        case .mastercard?: agreeing = mastercard
        case nil: agreeing = visa | mastercard
        }
        return agreeing >> digit & 1 == 1 ? .agrees : .disagrees
    }

    /// `digits.digits.digits`, each part 1 to 3 digits.
    @inlinable @inline(__always) static func isVersion(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        // Every version in use is `d.d.d` (1.0.2, 2.1.0, 2.2.0, 2.3.1): five bytes, checked at once.
        if bytes.count == 5 {
            let zero = UInt8(ascii: "0")
            return bytes[0] &- zero < 10 && bytes[1] == UInt8(ascii: ".") && bytes[2] &- zero < 10
                && bytes[3] == UInt8(ascii: ".") && bytes[4] &- zero < 10
        }
        return isLongerVersion(bytes)
    }

    @usableFromInline static func isLongerVersion(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var parts = 1
        var digits = 0
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard digits > 0 else { return false }
                parts += 1
                digits = 0
            } else {
                guard byte.isASCIIDigit, digits < 3 else { return false }
                digits += 1
            }
        }
        return parts == 3 && digits > 0
    }
}
