/// The merchant's decision policy as data: an action for every ``Reason``. The overall action of a request
/// is the most severe action among its check results; a check the request did not ask for changes nothing.
///
/// ``cardNetworkDefaults`` follows the card networks' recommendations: never send a Luhn failure for
/// authorisation; AVS X/Y (and the international D/M) accept, A/W/Z review, N review as a strong fraud sign,
/// U/G review, R retry; CSC M accept, N decline (a key-entry error is possible, so offer re-entry),
/// P retry, S/U review; a code that is printed on the card but was not entered is declined; 3-D Secure not
/// authenticated or rejected decline, unavailable review, pending retry, data that does not back the status
/// review.
@frozen public struct DecisionPolicy: Sendable, Hashable {
    /// Two bits of action per reason, 32 reasons a word: a plain value, so copying a policy into every
    /// request costs nothing.
    @usableFromInline var words: (UInt64, UInt64) = (0, 0)

    /// Every reason accepted: a blank to fill.
    public init() {}

    /// The action of the reason whose raw value is `index` (below 64): a reason's index is all the
    /// words need, and making a `Reason` of it is an out-of-line call (about 20 instructions).
    @inlinable @inline(__always) func action(atIndex index: UInt64) -> Action {
        let word = index < 32 ? words.0 : words.1
        return Action(rawValue: UInt8(truncatingIfNeeded: (word >> ((index & 31) * 2)) & 3)).unsafelyUnwrapped
    }

    @inlinable public subscript(reason: Reason) -> Action {
        get { action(atIndex: UInt64(reason.rawValue)) }
        set {
            let index = UInt64(reason.rawValue)
            let shift = (index & 31) * 2
            let cleared = ~(UInt64(3) << shift)
            if index < 32 {
                words.0 = words.0 & cleared | UInt64(newValue.rawValue) << shift
            } else {
                words.1 = words.1 & cleared | UInt64(newValue.rawValue) << shift
            }
        }
    }

    public static func == (lhs: DecisionPolicy, rhs: DecisionPolicy) -> Bool { lhs.words == rhs.words }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
    }

    @inlinable public subscript(code: AVSCode) -> Action {
        get { self[Reason(code)] }
        set { self[Reason(code)] = newValue }
    }

    @inlinable public subscript(code: CSCResult) -> Action {
        get { self[Reason(code)] }
        set { self[Reason(code)] = newValue }
    }

    /// The bits in which `other` differs from `policy`: not a policy of its own, but what
    /// ``applying(_:when:)`` turns `policy` into `other` with.
    @inlinable static func changes(from policy: DecisionPolicy, to other: DecisionPolicy) -> DecisionPolicy {
        var changes = DecisionPolicy()
        changes.words = (policy.words.0 ^ other.words.0, policy.words.1 ^ other.words.1)
        return changes
    }

    /// This policy with `changes` (``changes(from:to:)``) applied when `condition` holds: with a mask, not a
    /// branch, because the condition (whether 3-D Secure shifted liability) follows the card's brand and the
    /// 3-D Secure data, which a predictor cannot foresee.
    @inlinable @inline(__always) func applying(_ changes: DecisionPolicy, when condition: Bool) -> DecisionPolicy {
        let mask = 0 &- UInt64(condition ? 1 : 0)
        var result = self
        result.words = (words.0 ^ changes.words.0 & mask, words.1 ^ changes.words.1 & mask)
        return result
    }

    /// Sets the action of a reason named in configuration (`avs_N`, `luhn_failed`, ...).
    public mutating func set(_ action: Action, forReasonNamed name: String) throws(PolicyError) {
        guard let reason = Reason(name: name) else { throw .unknownReason(name) }
        self[reason] = action
    }

    public static let cardNetworkDefaults: DecisionPolicy = {
        var policy = DecisionPolicy()
        for reason in [Reason.luhnFailed, .lengthInvalid, .expiryMalformed, .expired, .expiryTooFar, .cscNotProvided] {
            policy[reason] = .decline
        }
        policy[.unionPayLuhnFailed] = .review
        policy[.brandUnknown] = .review
        policy[.luhnOptionalFailed] = .review
        // 3-D Secure, as the networks and large gateways recommend (three-d-secure.md).
        policy[.threeDSNotAuthenticated] = .decline
        policy[.threeDSRejected] = .decline
        policy[.threeDSUnavailable] = .review
        policy[.threeDSPending] = .retry
        policy[.threeDSECIMismatch] = .review
        policy[.threeDSValueMissing] = .review
        policy[.threeDSValueInvalid] = .review
        policy[.threeDSValueMismatch] = .decline
        policy[.velocityCard] = .decline
        policy[.velocityBIN] = .review
        for code in AVSCode.allCases { policy[code] = Interpretation.avs(code).recommendedAction }
        for code in CSCResult.allCases { policy[code] = Interpretation.csc(code).recommendedAction }
        return policy
    }()
}

/// A policy setting that cannot be applied.
public enum PolicyError: Error, Hashable, CustomStringConvertible {
    case unknownReason(String)
    /// `key` was given something other than an action's name.
    case unknownAction(key: String)

    public var description: String {
        switch self {
        case let .unknownReason(name):
            "unknown reason '\(name)'; reasons are " + Reason.allCases.map(\.name).joined(separator: ", ")
        case let .unknownAction(key):
            "\(key) must be accept, review, retry or decline"
        }
    }
}

/// Actions that replace a policy's for some reasons, leaving the rest as the policy says: what the
/// configuration's `policy.shifted.REASON = action` lines make, applied when liability shifted to the
/// issuer (a merchant may accept AVS `N` on an authenticated transaction).
@frozen public struct PolicyOverrides: Sendable, Hashable {
    @usableFromInline var actions = DecisionPolicy()
    /// The overridden reasons, as a policy whose action is `decline` (both of a reason's two bits set)
    /// for each of them and `accept` (none) for the rest: its words are the bit mask `applied(to:)` uses.
    @usableFromInline var overridden = DecisionPolicy()

    /// No overrides.
    public init() {}

    /// The overriding action of `reason`, `nil` when the policy's stands.
    public subscript(reason: Reason) -> Action? {
        get { overridden[reason] == .decline ? actions[reason] : nil }
        set {
            overridden[reason] = newValue == nil ? .accept : .decline
            actions[reason] = newValue ?? .accept
        }
    }

    /// `policy` with these overrides in place: two masked words.
    @inlinable public func applied(to policy: DecisionPolicy) -> DecisionPolicy {
        var result = policy
        result.words = (
            policy.words.0 & ~overridden.words.0 | actions.words.0 & overridden.words.0,
            policy.words.1 & ~overridden.words.1 | actions.words.1 & overridden.words.1
        )
        return result
    }

    /// Sets the overriding action of a reason named in configuration.
    public mutating func set(_ action: Action, forReasonNamed name: String) throws(PolicyError) {
        guard let reason = Reason(name: name) else { throw .unknownReason(name) }
        self[reason] = action
    }
}
