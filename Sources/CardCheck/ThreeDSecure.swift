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

    /// The ECI digits (`0d`) that agree with this status, one bit per digit: bits 0-15 for the Visa
    /// family (Visa, American Express, Discover, Diners, JCB, UnionPay, Elo: 05 authenticated, 06
    /// attempted, 07 otherwise), 16-31 for Mastercard and Maestro (02 authenticated, and 07 for
    /// authenticated recurring; 01 attempted; 00 otherwise; with I, an exemption 06, data only 04, or 00,
    /// none shifting liability), 32-47 for either (no card). Interim statuses (C, D) have no ECI of
    /// their own: every digit agrees.
    @inlinable var eciDigitMasks: UInt64 {
        func masks(visa: UInt64, mastercard: UInt64) -> UInt64 { visa | mastercard << 16 | (visa | mastercard) << 32 }
        return switch self {
        case .Y: masks(visa: 1 << 5, mastercard: 1 << 2 | 1 << 7)
        case .A: masks(visa: 1 << 6, mastercard: 1 << 1)
        case .N, .U, .R: masks(visa: 1 << 7, mastercard: 1 << 0)
        case .I: masks(visa: 1 << 7, mastercard: 1 << 0 | 1 << 4 | 1 << 6)
        case .C, .D: masks(visa: 0xFFFF, mastercard: 0xFFFF)
        }
    }

    /// Whether the status claims an authentication (Y) or an attempt (A), which a value must back.
    @inlinable var needsValue: Bool { self == .Y || self == .A }

    /// What the status says when its data is consistent.
    @inlinable var outcome: ThreeDSResult {
        switch self {
        case .Y: .authenticated
        case .A: .attempted
        case .N: .notAuthenticated
        case .U: .unavailable
        case .R: .rejected
        case .C, .D: .pending
        case .I: .informational
        }
    }

    /// The reason the status raises by itself (none for Y, A and I).
    @inlinable var raisedReason: Reason? {
        switch self {
        case .Y, .A, .I: nil
        case .N: .threeDSNotAuthenticated
        case .U: .threeDSUnavailable
        case .R: .threeDSRejected
        case .C, .D: .threeDSPending
        }
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

extension ThreeDSStatus {
    /// The status's facts above as two words, for the check: each case's are constants, so that the
    /// letter's switch sets them at once in its arm, where the facts' own switches compiled to jump tables
    /// of their own in the check; and the result's tag is picked by a shift (the data backs the status or
    /// not) rather than by tests of the status.
    @usableFromInline @frozen struct Facts {
        /// Bits 0-47 ``eciDigitMasks``; 48-51 the ``outcome``'s tag; 52-55 the result's tag when the data
        /// does not back the status (`invalid` for Y and A, the outcome for the others); 56-59 the
        /// ``cavvResultsCode`` (15: none); 60 ``needsValue``.
        @usableFromInline let word: UInt64
        /// The ``raisedReason``'s bit in a ``ReasonSet``, or 0.
        @usableFromInline let raisedReasonBits: UInt64

        /// Where the result's tag is in `word`: the outcome, or the result of data that does not back it.
        @inlinable static var outcomeShift: UInt64 { 48 }
        @inlinable static var inconsistentOutcomeShift: UInt64 { 52 }

        @inlinable @inline(__always) init(_ status: ThreeDSStatus) {
            let outcome = UInt64(unsafeBitCast(status.outcome, to: UInt8.self))
            let inconsistent =
                status.needsValue ? UInt64(unsafeBitCast(ThreeDSResult.invalid, to: UInt8.self)) : outcome
            let code = UInt64(status.cavvResultsCode ?? 15)
            word =
                status.eciDigitMasks & (1 << 48 - 1) | outcome << Facts.outcomeShift
                | inconsistent << Facts.inconsistentOutcomeShift | code << 56 | (status.needsValue ? 1 << 60 : 0)
            raisedReasonBits = status.raisedReason.map { 1 << UInt64($0.rawValue) } ?? 0
        }

        /// Whether the ECI digit `digit` (0-9) agrees, the card's family at `familyShift` (0, 16 or 32).
        @inlinable @inline(__always) func eciAgrees(digit: UInt64, familyShift: UInt64) -> Bool {
            word &>> (familyShift &+ digit) & 1 != 0
        }
        /// The result's tag at `shift` (``outcomeShift`` or ``inconsistentOutcomeShift``).
        @inlinable @inline(__always) func result(at shift: UInt64) -> ThreeDSResult {
            unsafeBitCast(UInt8(truncatingIfNeeded: word &>> shift) & 0xF, to: ThreeDSResult.self)
        }
        @inlinable @inline(__always) var cavvResultsCode: UInt8? {
            let code = UInt8(truncatingIfNeeded: word &>> 56) & 0xF
            return code == 15 ? nil : code
        }
        @inlinable @inline(__always) var needsValue: Bool { word & 1 << 60 != 0 }
    }

    /// Each case's facts, folded to constants.
    @inlinable var facts: Facts {
        switch self {
        case .Y: Facts(.Y)
        case .A: Facts(.A)
        case .N: Facts(.N)
        case .U: Facts(.U)
        case .R: Facts(.R)
        case .C: Facts(.C)
        case .D: Facts(.D)
        case .I: Facts(.I)
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

    /// Whether `init(utf8:)` would decode `text`, without decoding it: the 3-D Secure check needs no more
    /// than this and, for a Visa CAVV, the first byte; the 20 bytes are decoded only where a key is to
    /// verify them.
    @inlinable @inline(__always) public static func isWellFormed(utf8 text: UnsafeBufferPointer<UInt8>) -> Bool {
        text.count == 40 ? isWellFormedHex(text) : isWellFormedBase64(utf8: text)
    }

    /// Whether `text` is the base64 of 20 bytes, as `init(utf8:)` would decode it.
    @inlinable @inline(__always) static func isWellFormedBase64(utf8 text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard text.count == 27 || (text.count == 28 && text[27] == UInt8(ascii: "=")) else { return false }
        // The last character's two low bits are padding and must be zero (a canonical encoding), as in
        // decodeBase64. Tested first: read after the vectors, the byte is taken out of the second one
        // through the stack (SSE2 has no byte extract), which costs a stack frame and its guard.
        guard hasZeroPaddingBits(text[26]) else { return false }
        let base = UnsafeRawPointer(text.baseAddress.unsafelyUnwrapped)
        // Characters 0-15 and 11-26: two overlapping loads cover the 27, tested as one vector of 32 so
        // that the constants are loaded once.
        return isBase64Alphabet(
            SIMD32(
                lowHalf: base.loadUnaligned(as: SIMD16<UInt8>.self),
                highHalf: base.loadUnaligned(fromByteOffset: 11, as: SIMD16<UInt8>.self)
            )
        )
    }

    /// The first byte of a value `isWellFormed(utf8:)` accepts (the Visa CAVV's results code), from the
    /// first two characters' values. Computed, not read from the decoder's tables: reading a global table
    /// costs a `swift_once` call each time, and Visa is most requests' brand.
    @inlinable @inline(__always) public static func firstByteOfWellFormed(
        utf8 text: UnsafeBufferPointer<UInt8>
    ) -> UInt8 {
        if text.count == 40 { return firstByteOfHex(text) }
        return valueOfBase64Digit(text[0]) << 2 | valueOfBase64Digit(text[1]) >> 4
    }

    /// Hex values are rare: read out of line.
    @inline(never) @usableFromInline static func firstByteOfHex(_ text: UnsafeBufferPointer<UInt8>) -> UInt8 {
        hexPointer[Int(text[0])] << 4 | hexPointer[Int(text[1])]
    }

    /// The value of a byte known to be a base64 digit, without branches or tables: `A-Z` 0-25, `a-z`
    /// 26-51, `0-9` 52-61, `+ -` 62, `/ _` 63 (of `+ - /`, only `/` has both bits 1 and 2 set). The
    /// decoder's tables are built from it.
    @inlinable @inline(__always) static func valueOfBase64Digit(_ byte: UInt8) -> UInt8 {
        let sign: UInt8 = byte & 6 == 6 ? 63 : 62
        let value = byte >= 0x61 ? byte &- 0x47 : byte >= 0x41 ? byte &- 0x41 : byte >= 0x30 ? byte &+ 4 : sign
        return byte == 0x5F ? 63 : value
    }

    /// Whether a base64 digit's two low bits are zero, without branches (the last character of a CAVV is
    /// as good as random, so branches on it would be mispredicted) and without a table (reading a global
    /// table costs a `swift_once` call each time). A digit's value is its byte less 0x41 for `A-Z`, less 0x47
    /// for `a-z`, plus 4 for `0-9`: its low two bits are zero where the byte's are 1, 3 and 0 in the bytes'
    /// 32-byte blocks 0x40, 0x60 and 0x20. The block (bits 5-6) and the low bits make a four-bit index, and
    /// the three that qualify (9, 15, 4) are bits of a constant (0x8210), tested without the shift count
    /// in `cl` that the previous form needed. `+ - / _` (62, 63) never qualify, and their indices are not
    /// among the three; any other byte fails the alphabet test.
    @inlinable @inline(__always) static func hasZeroPaddingBits(_ byte: UInt8) -> Bool {
        let index = UInt32(byte >> 3 & 0b1100 | byte & 0b11)
        return 0x8210 as UInt32 &>> index & 1 != 0
    }

    /// Hex values are rare: decoded whole, out of line.
    @inline(never) @usableFromInline static func isWellFormedHex(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        AuthenticationValue(utf8: text) != nil
    }

    /// Whether all 32 bytes are base64 digits (`A-Z a-z 0-9`, `+/` or `-_`), in about 17 SSE2 instructions a
    /// half for what the tables do in three per character. A range test is one signed comparison: a byte
    /// biased so that the range's first value becomes -128 is in it when below -128 + its width. Bit 5 set
    /// folds `A-Z` onto `a-z` (and nothing else onto them); `+ - / 0-9` are 0x2B-0x39 but for `,` and `.`,
    /// the two bytes that setting bit 1 makes 0x2E. Every operand is typed as the concrete vector: with
    /// literals left to inference, Swift picks the generic operators, which compile to a loop over the
    /// lanes (1,700 instructions a request, measured).
    @inlinable @inline(__always) static func isBase64Alphabet(_ bytes: SIMD32<UInt8>) -> Bool {
        typealias Bytes = SIMD32<UInt8>
        typealias Signed = SIMD32<Int8>
        typealias Lanes = SIMDMask<SIMD32<Int8>>
        // `|` on integer vectors is the generic lane loop; a mask's `.|` is one OR.
        func setting(_ bits: UInt8) -> Bytes {
            unsafeBitCast(
                unsafeBitCast(bytes, to: Lanes.self) .| unsafeBitCast(Bytes(repeating: bits), to: Lanes.self),
                to: Bytes.self
            )
        }
        let letters: Lanes =
            unsafeBitCast(setting(0x20) &+ Bytes(repeating: 0x80 - 0x61), to: Signed.self)
            .< Signed(repeating: -128 + 26)
        let digitsAndSigns: Lanes =
            unsafeBitCast(bytes &+ Bytes(repeating: 0x80 - 0x2B), to: Signed.self) .< Signed(repeating: -128 + 15)
        let commaOrDot: Lanes = setting(0x02) .== Bytes(repeating: 0x2E)
        let underscore: Lanes = bytes .== Bytes(repeating: 0x5F)
        let valid: Lanes = letters .| underscore .| (digitsAndSigns .& .!commaOrDot)
        // A lane is all ones where valid; `all(_:)` would call out to a generic `max()`.
        let words = unsafeBitCast(valid, to: (UInt64, UInt64, UInt64, UInt64).self)
        return words.0 & words.1 & words.2 & words.3 == ~0
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
            (0...255 as ClosedRange<UInt8>).map { byte -> UInt32 in
                switch byte {
                case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2B, 0x2D, 0x2F, 0x5F:
                    return UInt32(valueOfBase64Digit(byte)) << UInt32(18 - 6 * position)
                default: return invalidBase64
                }
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

/// Checks 3-D Secure data against itself and the card's brand.
public enum ThreeDSRules {
    /// What the data says, and the reasons it raises (returned beside it: a register, where an `inout`
    /// set is written through memory). For fields that are not all empty: the validator tests `isEmpty`
    /// first, and a request without a status is `threeDSStatusMissing`. Throws for a field that is not what
    /// its name says (an unknown status, an ECI that is not two characters, a malformed version or reason);
    /// a missing, malformed or inconsistent authentication value is a reason, not an error, as gateways pass
    /// on what they receive. A well-formed value of a request with a PAN (`panGiven`) is `valueResult` U: no
    /// key has checked it yet.
    @inlinable public static func check(
        _ fields: ThreeDSFields,
        card: CardAttributes?,
        panGiven: Bool
    ) throws(ValidationError) -> (check: ThreeDSCheck, reasons: ReasonSet) {
        try check(fields, brandIndex: card?.record.brand ?? noCard, panGiven: panGiven)
    }

    /// The brand index of a request without a card (no built-in or file brand has it). Computed, so that
    /// it folds to a constant (a stored global is read through `swift_once`).
    @inlinable static var noCard: UInt16 { .max }

    /// The check, given the card's brand as its index in ``CardDataRegistry`` (`noCard` for none): all
    /// it needs of the card, in one register, where the card's 16-byte record took two and their
    /// unpacking on both sides of the call.
    ///
    /// Two compilations of one body: `commonCheck`, inlined here, takes what gateways send (a status
    /// letter, an ECI of `0` and a digit, a base64 value, a `d.d.d` version, a two-digit reason) and
    /// answers `nil` for anything else, which `generalCheck` then takes whole, errors included. The common
    /// path makes no calls, so none of its state is kept across one: as one body, the rare paths' calls
    /// (a lettered ECI, a hex value, a longer version) made it save registers and spill its state to the
    /// stack on every request (callgrind, `scripts/count-engine`).
    @inlinable @inline(never) static func check(
        _ fields: ThreeDSFields,
        brandIndex: UInt16,
        panGiven: Bool
    ) throws(ValidationError) -> (check: ThreeDSCheck, reasons: ReasonSet) {
        if let common = commonCheck(fields, brandIndex: brandIndex, panGiven: panGiven) { return common }
        return try generalCheck(fields, brandIndex: brandIndex, panGiven: panGiven)
    }

    @inlinable @inline(__always) static func commonCheck(
        _ fields: ThreeDSFields,
        brandIndex: UInt16,
        panGiven: Bool
    ) -> (check: ThreeDSCheck, reasons: ReasonSet)? {
        // Never throws: with `general` false, every error's path answers `nil` first.
        do { return try checkBody(fields, brandIndex: brandIndex, panGiven: panGiven, general: false) } catch {
            return nil
        }
    }

    @inline(never) @usableFromInline static func generalCheck(
        _ fields: ThreeDSFields,
        brandIndex: UInt16,
        panGiven: Bool
    ) throws(ValidationError) -> (check: ThreeDSCheck, reasons: ReasonSet) {
        try checkBody(fields, brandIndex: brandIndex, panGiven: panGiven, general: true).unsafelyUnwrapped
    }

    /// The check's one body; `general` (a constant where it is inlined) says whether it takes every input
    /// or answers `nil` for what `commonCheck` leaves to `generalCheck`.
    @inlinable @inline(__always) static func checkBody(
        _ fields: ThreeDSFields,
        brandIndex: UInt16,
        panGiven: Bool,
        general: Bool
    ) throws(ValidationError) -> (check: ThreeDSCheck, reasons: ReasonSet)? {
        guard let statusBytes = fields.status else {
            if !general { return nil }
            throw .threeDSStatusMissing
        }
        guard statusBytes.count == 1 else {
            if !general { return nil }
            throw .threeDSStatusInvalid
        }
        // Y first: most 3-D Secure traffic is frictionless authentication, and a comparison costs it less
        // than the letters' jump table (and the jumps back).
        let letter = statusBytes[0]
        let facts: ThreeDSStatus.Facts
        let status: ThreeDSStatus
        if _fastPath(letter == ThreeDSStatus.Y.asciiLetter) {
            status = .Y
            facts = ThreeDSStatus.Y.facts
        } else {
            guard let other = ThreeDSStatus(asciiLetter: letter) else {
                if !general { return nil }
                throw .threeDSStatusInvalid
            }
            status = other
            facts = other.facts
        }
        let needsValue = facts.needsValue
        // The reasons are gathered here (a register) and returned once.
        var raised = ReasonSet(bits: facts.raisedReasonBits)
        // Where the ECI's digit falls in the status's masks: 0 for Visa's family, 16 for Mastercard's, 32
        // for either (no card). Without branches (the brand changes from request to request): the index
        // plus one, wrapping, is 0 without a card, 1 to 3 for Visa, Mastercard and Maestro (the registry's
        // first indices), 4 and above for any other brand; each class's shift is a byte of a constant.
        let brandClass = UInt64(min(brandIndex &+ 1, 4))
        let familyShift: UInt64 = 0x10_1000_20 >> (brandClass &* 8) & 0xFF
        // Whether liability may shift: an authenticated or attempted status, with an ECI that carries a shift.
        var mayShift = needsValue
        // Where the result is in the facts: moved when the data does not back the status (an ECI that
        // disagrees, a value missing or malformed), which makes Y and A invalid.
        var resultShift = ThreeDSStatus.Facts.outcomeShift
        if let bytes = fields.eci {
            guard bytes.count == 2 else {
                if !general { return nil }
                throw .eciInvalid
            }
            // Nearly every ECI is `0` and a digit, one bit of the status's masks. The two bytes as a
            // big-endian word less "00" are below 10 exactly then, and are the digit: a first byte other
            // than `0` leaves 256 or more (a second byte below `0` borrows from the first, so that a first
            // byte of `1` leaves 0xD0 or more). Letters (`N0`, `n2`) and anything malformed are read out of
            // line.
            let digit =
                UInt16(bigEndian: UnsafeRawPointer(bytes.baseAddress.unsafelyUnwrapped).loadUnaligned(as: UInt16.self))
                &- 0x3030
            var agreement = ECIAgreement.agrees
            if digit < 10 {
                // At most 32 + 9: no shift's overflow check needed.
                if !facts.eciAgrees(digit: UInt64(digit), familyShift: familyShift) { agreement = .disagrees }
            } else {
                if !general { return nil }
                agreement = try ThreeDSRules.letteredECIAgreement(
                    bytes[0],
                    bytes[1],
                    status: status,
                    familyShift: familyShift
                )
            }
            if agreement != .agrees { mayShift = false }
            if agreement == .disagrees {
                raised.insert(.threeDSECIMismatch)
                resultShift = ThreeDSStatus.Facts.inconsistentOutcomeShift
            }
        }
        if let version = fields.version {
            if !general && version.count != 5 { return nil }
            guard ThreeDSRules.isVersion(version) else {
                if !general { return nil }
                throw .threeDSVersionInvalid
            }
        }
        if let reason = fields.statusReason {
            guard reason.count == 2, reason[0].isASCIIDigit, reason[1].isASCIIDigit else {
                if !general { return nil }
                throw .threeDSStatusReasonInvalid
            }
        }
        var valueFormed = false
        // A well-formed value's result: U with a PAN (a key may check it), none without.
        let formedValueResult: AuthenticationValueResult? = panGiven ? .U : nil
        if let text = fields.authenticationValue {
            if text.count == 40 {
                if !general { return nil }
                valueFormed = AuthenticationValue.isWellFormedHex(text)
            } else {
                valueFormed = AuthenticationValue.isWellFormedBase64(utf8: text)
            }
            var backsStatus = valueFormed
            // A Visa CAVV starts with the authentication results code, which must be the status's. A value
            // that does not is still checked with a key: `valueResult` says whether it is the card's.
            if valueFormed && brandClass == 1, let expected = facts.cavvResultsCode {
                backsStatus = AuthenticationValue.firstByteOfWellFormed(utf8: text) == expected
            }
            if !backsStatus {
                raised.insert(.threeDSValueInvalid)
                resultShift = ThreeDSStatus.Facts.inconsistentOutcomeShift
                mayShift = false
            }
        } else if needsValue {
            raised.insert(.threeDSValueMissing)
            resultShift = ThreeDSStatus.Facts.inconsistentOutcomeShift
            mayShift = false
        }
        let check = ThreeDSCheck(
            result: facts.result(at: resultShift),
            liabilityShift: mayShift,
            valueResult: valueFormed ? formedValueResult : nil
        )
        return (check, raised)
    }

    @usableFromInline enum ECIAgreement {
        case agrees
        /// A Mastercard ECI that carries no liability shift (data only, exemption, non-payment).
        case agreesWithoutShift
        case disagrees
    }

    /// An ECI that is not `0` and a digit: two ASCII letters or digits, case-insensitive, else
    /// `eciInvalid`. Mastercard's `N0` and `N2` (non-payment authentication) agree with any status but
    /// shift no liability; no other lettered or two-digit ECI is in use.
    @usableFromInline static func letteredECIAgreement(
        _ first: UInt8,
        _ second: UInt8,
        status: ThreeDSStatus,
        familyShift: UInt64
    ) throws(ValidationError) -> ECIAgreement {
        guard first.isASCIIAlphanumeric, second.isASCIIAlphanumeric else { throw .eciInvalid }
        // Interim statuses have no ECI of their own.
        if status == .C || status == .D { return .agrees }
        if first.asciiUppercased == UInt8(ascii: "N") && familyShift != 0 && (second == 0x30 || second == 0x32) {
            return .agreesWithoutShift
        }
        return .disagrees
    }

    /// `digits.digits.digits`, each part 1 to 3 digits.
    @inlinable @inline(__always) static func isVersion(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        // Every version in use is `d.d.d` (1.0.2, 2.1.0, 2.2.0, 2.3.1): five bytes, checked at once.
        if bytes.count == 5 {
            // Bytes 0-3 as one little-endian word XORed with "0.0.": the dots become zero bytes and a digit
            // its value, below 16 only for 0x30-0x3F; adding 6 to each value carries into bit 4 for 10-15.
            let word = UnsafeRawPointer(bytes.baseAddress!).loadUnaligned(as: UInt32.self).littleEndian ^ 0x2E30_2E30
            return word & 0xFFF0_FFF0 == 0 && (word &+ 0x0006_0006) & 0x0010_0010 == 0 && bytes[4] &- 0x30 < 10
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
