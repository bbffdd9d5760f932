/// One card to check: any subset of PAN, expiry, security code and/or presence indicator, the address the
/// customer entered and the address on file. A field left `nil` is a check not asked for.
public struct ValidationRequest: Sendable, Hashable {
    /// Digits with optional spaces or dashes.
    public var pan: String?
    /// `MMYY`, `MM/YY` or `MM/YYYY`.
    public var expiry: String?
    /// Digits, `X` (the card has no code), `I` (illegible), or empty (not entered).
    public var csc: String?
    /// The presence indicator: 0 not provided, 1 provided, 2 illegible, 9 not on card.
    public var cscIndicator: Int?
    /// The address the customer entered.
    public var address: Address
    /// The address the issuer has on file; `nil` when there is none (AVS answers `U`).
    public var onFileAddress: Address?

    public init(
        pan: String? = nil, expiry: String? = nil, csc: String? = nil, cscIndicator: Int? = nil,
        address: Address = Address(), onFileAddress: Address? = nil
    ) {
        self.pan = pan
        self.expiry = expiry
        self.csc = csc
        self.cscIndicator = cscIndicator
        self.address = address
        self.onFileAddress = onFileAddress
    }
}
