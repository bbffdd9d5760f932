/// What velocity limits know of a card before its checks: whether repeated failures locked it, and whether
/// many distinct cards of its BIN failed lately (an enumeration). Made by a ``CardVelocity``; the engine
/// only reads it.
@frozen public struct VelocityTicket: Sendable, Hashable {
    /// The card, for the limiter to hash when it must (a lookup or a failure to count): lives only as long
    /// as the request.
    public var pan: PAN
    public var cardLocked: Bool
    public var binFlagged: Bool

    @inlinable public init(pan: PAN, cardLocked: Bool, binFlagged: Bool) {
        self.pan = pan
        self.cardLocked = cardLocked
        self.binFlagged = binFlagged
    }
}

/// What failed in a request, as velocity limits count it.
@frozen public struct VelocityFailures: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The security code did not match (`N`) under the issuer's key.
    public static let code = VelocityFailures(rawValue: 1 << 0)
    /// The expiry was expired or malformed.
    public static let expiry = VelocityFailures(rawValue: 1 << 1)
    /// The address matched nothing (`N`, international `C`).
    public static let address = VelocityFailures(rawValue: 1 << 2)

    /// What failed among a request's results: the one rule, for the card counts and the peer buckets.
    @inlinable @inline(__always) public init(csc: CSCResult?, expiry: ExpiryStatus?, avs: AVSCode?) {
        var failures: VelocityFailures = []
        if csc == .N { failures.insert(.code) }
        if expiry == .expired || expiry == .malformed { failures.insert(.expiry) }
        if avs == .N || avs == .C { failures.insert(.address) }
        self = failures
    }

    /// The failures of an answered validation.
    @inlinable public init(_ result: ValidationResult) {
        self.init(csc: result.csc?.result, expiry: result.expiry, avs: result.avs?.code)
    }
}

/// Counts failures per card and per BIN, and locks cards that fail too often (card testing). The engine
/// asks once per request with a Luhn-valid PAN, before the checks, and reports what failed after them;
/// the daemon's implementation keeps bounded tables behind locks and a clock.
public protocol CardVelocity: AnyObject, Sendable {
    // A class: the validator holds a reference, and asking it copies a pointer (one retain), not an
    // existential box through value witnesses (callgrind: about 130 instructions a request).
    /// The card's state now.
    func ticket(for pan: PAN) -> VelocityTicket
    /// Counts `failures` (not empty) against the card and, on its first failure in a window, its BIN.
    func record(_ failures: VelocityFailures, for ticket: VelocityTicket)
}
