/// The validation engine: checks a request and decides an action under a ``DecisionPolicy``.
///
/// The PAN is parsed and Mod-10 checked first; then brand and length, expiry, security code and address.
/// Every asked-for check is reported even when an earlier one failed, so the caller sees the whole
/// picture; the action is the most severe one. Pure: no I/O, no clock (pass `today`), no allocation.
public struct Validator: Sendable {
    public var policy: DecisionPolicy
    public var addressMatcher: AddressMatcher
    /// Brands and issuer data by PAN prefix.
    public var cards: CardDirectory
    /// Verifies entered security codes with the issuers' keys; without it (or for a card no key covers)
    /// a well-formed code is `U`.
    public var securityCodes: (any SecurityCodeVerifier)? {
        didSet { hasSecurityCodes = securityCodes != nil }
    }
    /// Whether `securityCodes` is set, asked before touching it: copying an optional existential out of
    /// the validator goes through generic value witnesses, which every request would pay for
    /// (Benchmarks/README.md has the figure).
    @usableFromInline private(set) var hasSecurityCodes = false

    public init(
        policy: DecisionPolicy = .cardNetworkDefaults,
        avsOptions: AVSOptions = AVSOptions(),
        cards: CardDirectory = .standard
    ) {
        self.policy = policy
        self.addressMatcher = AddressMatcher(options: avsOptions)
        self.cards = cards
    }

    /// Checks `request` as of the calendar month `today`.
    public func validate(_ request: ValidationRequest, today: YearMonth) throws(ValidationError) -> ValidationResult {
        try request.withFields { fields in
            Result { () throws(ValidationError) in try validate(fields, today: today) }
        }.get()
    }

    /// Checks a request given as borrowed bytes, as of the calendar month `today`.
    @inlinable public func validate(
        _ request: RequestFields,
        today: YearMonth
    ) throws(ValidationError) -> ValidationResult {
        var decision = Decision(policy: policy)

        var panCheck: PANCheck?
        var parsedPAN: PAN?
        var codeLength: Int?
        if let bytes = request.pan {
            let parsed = try PAN(utf8: bytes)
            parsedPAN = parsed
            let pan = check(parsed)
            if !pan.luhnValid { decision.note(Validator.luhnReason(pan.card?.brand)) }
            if let card = pan.card {
                codeLength = card.securityCodeLength
                if let funding = card.funding { decision.noteFunding(funding) }
                if card.packedIssuerCountry != 0, let entered = request.address.country,
                    let country = CountryCode.alpha2(entered), country != card.packedIssuerCountry
                {
                    decision.note(.countryMismatch)
                }
            } else {
                decision.note(.brandUnknown)
            }
            if !pan.lengthValid { decision.note(.lengthInvalid) }
            panCheck = pan
        }

        var expiryStatus: ExpiryStatus?
        var expiry: Expiry?
        if let bytes = request.expiry {
            expiry = Expiry.parse(utf8: bytes, today: today)
            let status = expiry?.status(today: today) ?? .malformed
            switch status {
            case .valid: break
            case .malformed: decision.note(.expiryMalformed)
            case .expired: decision.note(.expired)
            case .tooFarAhead: decision.note(.expiryTooFar)
            }
            expiryStatus = status
        }

        var indicator: CSCPresence?
        if let value = request.cscIndicator {
            guard let presence = CSCPresence(indicator: value) else { throw .cscIndicatorInvalid(value) }
            indicator = presence
        }
        var cscCheck = try SecurityCodeRules.check(
            enteredUTF8: request.csc,
            indicator: indicator,
            codeLength: codeLength
        )
        // A well-formed code of a Luhn-valid card with its expiry: verified when a key covers the card.
        // American Express's method is not public, so Amex stays U.
        if hasSecurityCodes, cscCheck?.result == .U, cscCheck?.formatValid == true,
            let pan = parsedPAN, pan.luhnValid, panCheck?.brand != .americanExpress, let expiry, let code = request.csc,
            let verifier = securityCodes,
            let matched = verifier.verifyPrintedCode(pan: pan, expiry: expiry.month, code: code)
        {
            cscCheck?.result = matched ? .M : .N
        }
        if let cscCheck {
            if cscCheck.presence == .notProvided { decision.note(.cscNotProvided) }
            if let result = cscCheck.result { decision.note(Reason(result)) }
        }

        let avsCheck = addressMatcher.check(entered: request.address, onFile: request.onFileAddress)
        if let avsCheck { decision.note(Reason(avsCheck.code)) }

        if panCheck == nil && expiryStatus == nil && cscCheck == nil && avsCheck == nil {
            throw .nothingToCheck
        }
        return ValidationResult(
            pan: panCheck,
            expiry: expiryStatus,
            csc: cscCheck,
            avs: avsCheck,
            action: decision.action,
            reasons: decision.reasons
        )
    }

    /// Luhn, brand and length: the cheapest useful check, and all a PAN-only request needs.
    @inlinable public func check(_ pan: PAN) -> PANCheck {
        let card = cards.attributes(of: pan)
        let lengthValid = card?.lengths.contains(pan.length) ?? true
        return PANCheck(masked: pan.masked, luhnValid: pan.luhnValid, card: card, lengthValid: lengthValid)
    }

    /// The reason of a Luhn failure: declined unless the brand's numbers may fail Mod 10.
    @usableFromInline static func luhnReason(_ brand: Brand?) -> Reason {
        guard let brand, brand.luhn == .optional else { return .luhnFailed }
        return brand == .unionPay ? .unionPayLuhnFailed : .luhnOptionalFailed
    }

    /// The running decision of one request.
    @usableFromInline struct Decision {
        @usableFromInline let policy: DecisionPolicy
        @usableFromInline var action = Action.accept
        @usableFromInline var reasons = ReasonSet()

        @inlinable init(policy: DecisionPolicy) { self.policy = policy }

        @inlinable mutating func noteFunding(_ funding: Funding) {
            switch funding {
            case .prepaid: note(.fundingPrepaid)
            case .debit: note(.fundingDebit)
            case .credit: note(.fundingCredit)
            case .charge, .deferredDebit: break
            }
        }

        @inlinable mutating func note(_ reason: Reason) {
            let reasonAction = policy[reason]
            guard reasonAction != .accept else { return }
            reasons.insert(reason)
            action = max(action, reasonAction)
        }
    }
}
