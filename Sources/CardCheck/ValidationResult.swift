/// What the engine found about a PAN.
@frozen public struct PANCheck: Sendable, Hashable {
    public var masked: MaskedPAN
    public var luhnValid: Bool
    /// What the most specific matching range says (brand, issuer data); `nil` when no range matches.
    public var card: CardAttributes?
    /// Whether the range issues PANs of this length (true for an unknown brand: 12 to 19 digits).
    public var lengthValid: Bool

    @inlinable public init(masked: MaskedPAN, luhnValid: Bool, card: CardAttributes?, lengthValid: Bool) {
        self.masked = masked
        self.luhnValid = luhnValid
        self.card = card
        self.lengthValid = lengthValid
    }

    /// A result known only by its brand (no issuer data).
    public init(masked: MaskedPAN, luhnValid: Bool, brand: Brand?, lengthValid: Bool) {
        self.init(
            masked: masked,
            luhnValid: luhnValid,
            card: brand.map { CardAttributes(brand: $0) },
            lengthValid: lengthValid
        )
    }

    /// `nil` when no brand's range matches.
    @inlinable public var brand: Brand? { card?.brand }
}

/// The answer for one ``ValidationRequest``. Each check is `nil` when the request did not ask for it.
/// It holds no PAN (only its masked form) and no security code, and it never allocates.
@frozen public struct ValidationResult: Sendable, Hashable {
    public var pan: PANCheck?
    public var expiry: ExpiryStatus?
    public var csc: CSCCheck?
    public var avs: AVSCheck?
    /// `nil` when the request carried no 3-D Secure data.
    public var threeDS: ThreeDSCheck?
    /// The most severe action of all check results under the policy.
    public var action: Action
    /// The reasons whose action is not `accept`, in ``Reason`` order.
    public var reasons: ReasonSet

    @inlinable public init(
        pan: PANCheck?,
        expiry: ExpiryStatus?,
        csc: CSCCheck?,
        avs: AVSCheck?,
        threeDS: ThreeDSCheck? = nil,
        action: Action,
        reasons: ReasonSet
    ) {
        self.pan = pan
        self.expiry = expiry
        self.csc = csc
        self.avs = avs
        self.threeDS = threeDS
        self.action = action
        self.reasons = reasons
    }
}
