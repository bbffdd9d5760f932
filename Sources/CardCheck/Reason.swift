/// A machine-readable reason behind an action: a failed check, or a result code (`csc_N`, `avs_A`).
public enum Reason: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case luhnFailed = 0
    /// Some UnionPay cards do not satisfy Mod 10, so a UnionPay Luhn failure is its own reason (review by
    /// default) rather than `luhn_failed` (decline).
    case unionPayLuhnFailed
    case brandUnknown
    case lengthInvalid
    case expiryMalformed
    case expired
    case expiryTooFar
    case cscNotProvided
    case cscD, cscI, cscM, cscN, cscP, cscS, cscU, cscX
    case avsA, avsB, avsC, avsD, avsE, avsF, avsG, avsH, avsI, avsJ, avsK, avsL, avsM
    case avsN, avsO, avsP, avsQ, avsR, avsS, avsT, avsU, avsV, avsW, avsX, avsY, avsZ
    // Attributes from a range file: noted on every card that has them, accepted unless the policy says
    // otherwise (a merchant's rule, not a network's recommendation).
    case fundingPrepaid
    case fundingDebit
    case fundingCredit
    /// The issuer's country differs from the billing `country` the customer entered.
    case countryMismatch
    /// A Luhn failure of a brand whose numbers may fail Mod 10 (other than UnionPay, which keeps its own).
    case luhnOptionalFailed
    // 3-D Secure (three-d-secure.md): the outcome, then data that does not back it.
    case threeDSNotAuthenticated
    case threeDSRejected
    case threeDSUnavailable
    /// C or D: a challenge is under way; ask again with its result.
    case threeDSPending
    /// An ECI the card's brand does not use for the status.
    case threeDSECIMismatch
    /// Y or A without an authentication value.
    case threeDSValueMissing
    /// An authentication value that is not 20 bytes in base64 or hex, or a Visa CAVV whose results code
    /// is not the status's.
    case threeDSValueInvalid
    /// The authentication value is not the card's under the issuer's key (`authentication_value_result` N).
    case threeDSValueMismatch
    // Velocity limits (card testing).
    /// The card failed too often lately and is locked: its security code is answered `L`, never checked.
    case velocityCard
    /// Many distinct cards of this card's BIN failed lately: the signature of an enumeration.
    case velocityBIN

    @inlinable @inline(__always) public init(_ code: CSCResult) {
        // L (locked) is the velocity reason; the other letters are consecutive from csc_D.
        self = code == .L ? .velocityCard : Reason(rawValue: Reason.cscD.rawValue + code.rawValue)!
    }

    @inlinable public init(_ code: AVSCode) {
        self = Reason(rawValue: Reason.avsA.rawValue + code.rawValue)!
    }

    /// The stable machine name: `luhn_failed`, `expired`, `csc_N`, `avs_Z`, ...
    public var name: String {
        switch self {
        case .luhnFailed: return "luhn_failed"
        case .unionPayLuhnFailed: return "unionpay_luhn_failed"
        case .brandUnknown: return "brand_unknown"
        case .lengthInvalid: return "length_invalid"
        case .expiryMalformed: return "expiry_malformed"
        case .expired: return "expired"
        case .expiryTooFar: return "expiry_too_far"
        case .cscNotProvided: return "csc_not_provided"
        case .fundingPrepaid: return "funding_prepaid"
        case .fundingDebit: return "funding_debit"
        case .fundingCredit: return "funding_credit"
        case .countryMismatch: return "country_mismatch"
        case .luhnOptionalFailed: return "luhn_optional_failed"
        case .threeDSNotAuthenticated: return "three_ds_not_authenticated"
        case .threeDSRejected: return "three_ds_rejected"
        case .threeDSUnavailable: return "three_ds_unavailable"
        case .threeDSPending: return "three_ds_pending"
        case .threeDSECIMismatch: return "three_ds_eci_mismatch"
        case .threeDSValueMissing: return "three_ds_value_missing"
        case .threeDSValueInvalid: return "three_ds_value_invalid"
        case .threeDSValueMismatch: return "three_ds_value_mismatch"
        case .velocityCard: return "velocity_card"
        case .velocityBIN: return "velocity_bin"
        default:
            if rawValue >= Reason.avsA.rawValue {
                return "avs_\(AVSCode(rawValue: rawValue - Reason.avsA.rawValue)!.letter)"
            }
            return "csc_\(CSCResult(rawValue: rawValue - Reason.cscD.rawValue)!.letter)"
        }
    }

    public init?(name: String) {
        guard let reason = Reason.allCases.first(where: { $0.name == name }) else { return nil }
        self = reason
    }

    public var description: String { name }
}

/// A set of reasons, as a bit mask: building and reading it never allocates. Iterates in declaration order.
@frozen public struct ReasonSet: Sendable, Hashable, Sequence, ExpressibleByArrayLiteral, CustomStringConvertible {
    public var bits: UInt64

    @inlinable public init() { bits = 0 }
    @inlinable public init(bits: UInt64) { self.bits = bits }

    public init(arrayLiteral reasons: Reason...) {
        self.init()
        for reason in reasons { insert(reason) }
    }

    @inlinable @inline(__always) public mutating func insert(_ reason: Reason) { bits |= 1 << UInt64(reason.rawValue) }
    @inlinable public func contains(_ reason: Reason) -> Bool { bits & (1 << UInt64(reason.rawValue)) != 0 }
    @inlinable public var isEmpty: Bool { bits == 0 }
    @inlinable public var count: Int { bits.nonzeroBitCount }

    public struct Iterator: IteratorProtocol {
        @usableFromInline var remaining: UInt64
        @inlinable init(remaining: UInt64) { self.remaining = remaining }
        /// Skips a bit no reason has (a newer server's, read by a client): the rest are still listed.
        @inlinable public mutating func next() -> Reason? {
            while remaining != 0 {
                let index = remaining.trailingZeroBitCount
                remaining &= remaining - 1
                if let reason = Reason(rawValue: UInt8(index)) { return reason }
            }
            return nil
        }
    }

    @inlinable public func makeIterator() -> Iterator { Iterator(remaining: bits) }

    public var names: [String] { map(\.name) }
    public var description: String { "[" + names.joined(separator: ", ") + "]" }
}
