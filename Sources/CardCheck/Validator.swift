/// The validation engine: checks a request and decides an action under a ``DecisionPolicy``.
///
/// The PAN is parsed and Mod-10 checked first; then brand and length, expiry, security code and address.
/// Every asked-for check is reported even when an earlier one failed, so the caller sees the whole
/// picture; the action is the most severe one. Pure: no I/O, no clock (pass `today`), no allocation.
public struct Validator: Sendable {
    /// The daemon's own policy and its shifted overrides: the profile of a request that names none (which
    /// keeps the shifted policy ready, as every profile does).
    @usableFromInline var ownProfile: PolicyProfile
    public var policy: DecisionPolicy {
        get { ownProfile.policy }
        set { ownProfile.policy = newValue }
    }
    /// What changes in the policy when 3-D Secure shifted liability to the issuer.
    public var shiftedOverrides: PolicyOverrides {
        get { ownProfile.shifted }
        set { ownProfile.shifted = newValue }
    }
    /// Merchants' policies, chosen by a request's `profile`; without them a request naming one is refused.
    public var profiles: PolicyProfiles?
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
    /// Verifies 3-D Secure authentication values with the issuers' keys; without it (or for a card no key
    /// covers) a well-formed value is `U`.
    public var authenticationValues: (any AuthenticationValueVerifier)? {
        didSet { hasAuthenticationValues = authenticationValues != nil }
    }
    @usableFromInline private(set) var hasAuthenticationValues = false
    /// Velocity limits (card testing): failures counted per card and BIN, locked cards answered `L`.
    public var velocity: (any CardVelocity)? {
        didSet { hasVelocity = velocity != nil }
    }
    @usableFromInline private(set) var hasVelocity = false

    public init(
        policy: DecisionPolicy = .cardNetworkDefaults,
        shiftedOverrides: PolicyOverrides = PolicyOverrides(),
        avsOptions: AVSOptions = AVSOptions(),
        cards: CardDirectory = .standard
    ) {
        self.ownProfile = PolicyProfile(policy: policy, shifted: shiftedOverrides)
        self.addressMatcher = AddressMatcher(options: avsOptions)
        self.cards = cards
    }

    /// Checks `request` as of the calendar month `today`.
    public func validate(_ request: ValidationRequest, today: YearMonth) throws(ValidationError) -> ValidationResult {
        try request.withFields { fields in
            Result { () throws(ValidationError) in try validate(fields, today: today) }
        }.get()
    }

    /// Checks a request given as borrowed bytes, as of the calendar month `today`. `lookedUp`: where a
    /// batch's lookahead found its PAN (``CardDirectory/lookAhead(prefixes:found:)``), if it did.
    @inlinable public func validate(
        _ request: RequestFields,
        today: YearMonth,
        lookedUp: CardDirectory.Found = .nothing
    ) throws(ValidationError) -> ValidationResult {
        // Every reason the checks raise; the policy (which depends on 3-D Secure's liability shift)
        // decides at the end which of them act.
        var noted = ReasonSet()
        var profile: PolicyProfile?
        if let name = request.profile {
            guard let named = profiles?.profile(named: name) else { throw .unknownProfile }
            profile = named
        }

        var panCheck: PANCheck?
        var parsedPAN: PAN?
        var codeLength: Int?
        if let bytes = request.pan {
            let parsed = try PAN(utf8: bytes)
            parsedPAN = parsed
            let pan = check(parsed, lookedUp: lookedUp)
            if !pan.luhnValid { noted.insert(Validator.luhnReason(pan.card?.brand)) }
            if let card = pan.card {
                codeLength = card.securityCodeLength
                if let funding = card.funding { Validator.noteFunding(funding, in: &noted) }
                if card.packedIssuerCountry != 0, let entered = request.address.country,
                    let country = CountryCode.alpha2(entered), country != card.packedIssuerCountry
                {
                    noted.insert(.countryMismatch)
                }
            } else {
                noted.insert(.brandUnknown)
            }
            if !pan.lengthValid { noted.insert(.lengthInvalid) }
            panCheck = pan
        }
        // Velocity: asked before the checks, so that a locked card's code is never checked; told after them.
        var ticket: VelocityTicket?
        var locked = false
        if hasVelocity, let pan = parsedPAN, pan.luhnValid, let velocity {
            let known = velocity.ticket(for: pan)
            ticket = known
            locked = known.cardLocked
            if known.cardLocked { noted.insert(.velocityCard) }
            if known.binFlagged { noted.insert(.velocityBIN) }
        }

        var expiryStatus: ExpiryStatus?
        var expiry: Expiry?
        if let bytes = request.expiry {
            expiry = Expiry.parse(utf8: bytes, today: today)
            let status = expiry?.status(today: today) ?? .malformed
            switch status {
            case .valid: break
            case .malformed: noted.insert(.expiryMalformed)
            case .expired: noted.insert(.expired)
            case .tooFarAhead: noted.insert(.expiryTooFar)
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
        if locked, cscCheck?.presence == .provided {
            // Whatever was entered, right or wrong: one answer, so the lock is no oracle.
            cscCheck?.result = .L
        } else if hasSecurityCodes, cscCheck?.result == .U, cscCheck?.formatValid == true,
            let pan = parsedPAN, pan.luhnValid, panCheck?.brand != .americanExpress, let expiry, let code = request.csc,
            let verifier = securityCodes,
            let matched = verifier.verifyPrintedCode(pan: pan, expiry: expiry.month, code: code)
        {
            cscCheck?.result = matched ? .M : .N
        }
        if let cscCheck {
            if cscCheck.presence == .notProvided { noted.insert(.cscNotProvided) }
            if let result = cscCheck.result { noted.insert(Reason(result)) }
        }

        let avsCheck = addressMatcher.check(entered: request.address, onFile: request.onFileAddress)
        if let avsCheck { noted.insert(Reason(avsCheck.code)) }

        var threeDSCheck: ThreeDSCheck?
        // Tested here so that a request without 3-D Secure data does not pay for the call (26 instructions).
        if !request.threeDS.isEmpty {
            let (check, raised) = try ThreeDSRules.check(
                request.threeDS,
                card: panCheck?.card,
                panGiven: parsedPAN != nil
            )
            threeDSCheck = check
            noted.bits |= raised.bits
        }
        // A well-formed value of a card (`valueResult` U): checked with the issuer's key where one covers it.
        // Decoded only here, where a key is to verify it: the check needed no more than its first byte.
        if hasAuthenticationValues, threeDSCheck?.valueResult != nil, let pan = parsedPAN,
            let verifier = authenticationValues, let text = request.threeDS.authenticationValue,
            let value = AuthenticationValue(utf8: text),
            let verified = verifier.verifyAuthenticationValue(value, pan: pan, card: panCheck?.card)
        {
            threeDSCheck?.valueResult = verified ? .M : .N
            if !verified {
                noted.insert(.threeDSValueMismatch)
                threeDSCheck?.liabilityShift = false
                if threeDSCheck?.result == .authenticated || threeDSCheck?.result == .attempted {
                    threeDSCheck?.result = .invalid
                }
            }
        }

        if panCheck == nil && expiryStatus == nil && cscCheck == nil && avsCheck == nil && threeDSCheck == nil {
            throw .nothingToCheck
        }
        if hasVelocity, !locked, let ticket, let velocity {
            let failures = VelocityFailures(csc: cscCheck?.result, expiry: expiryStatus, avs: avsCheck?.code)
            if !failures.isEmpty { velocity.record(failures, for: ticket) }
        }
        var deciding = profile?.policy ?? ownProfile.policy
        if let threeDSCheck {
            let changes = profile?.shiftChanges ?? ownProfile.shiftChanges
            deciding = deciding.applying(changes, when: threeDSCheck.liabilityShift)
        }
        let decision = Validator.decide(noted, under: deciding)
        return ValidationResult(
            pan: panCheck,
            expiry: expiryStatus,
            csc: cscCheck,
            avs: avsCheck,
            threeDS: threeDSCheck,
            action: decision.action,
            reasons: decision.reasons
        )
    }

    /// Luhn, brand and length: the cheapest useful check, and all a PAN-only request needs. `lookedUp`: where
    /// a batch's lookahead found the PAN, if it did.
    @inlinable public func check(_ pan: PAN, lookedUp: CardDirectory.Found = .nothing) -> PANCheck {
        let card = cards.attributes(of: pan, lookedUp: lookedUp)
        card?.prefetchTexts()
        let lengthValid = card?.lengths.contains(pan.length) ?? true
        return PANCheck(masked: pan.masked, luhnValid: pan.luhnValid, card: card, lengthValid: lengthValid)
    }

    /// The reason of a Luhn failure: declined unless the brand's numbers may fail Mod 10.
    @usableFromInline static func luhnReason(_ brand: Brand?) -> Reason {
        guard let brand, brand.luhn == .optional else { return .luhnFailed }
        return brand == .unionPay ? .unionPayLuhnFailed : .luhnOptionalFailed
    }

    @inlinable static func noteFunding(_ funding: Funding, in noted: inout ReasonSet) {
        switch funding {
        case .prepaid: noted.insert(.fundingPrepaid)
        case .debit: noted.insert(.fundingDebit)
        case .credit: noted.insert(.fundingCredit)
        case .charge, .deferredDebit: break
        }
    }

    /// The most severe action among the noted reasons under `policy`, and those whose action is not accept.
    @inlinable static func decide(
        _ noted: ReasonSet,
        under policy: DecisionPolicy
    ) -> (action: Action, reasons: ReasonSet) {
        var action = Action.accept
        var reasons = ReasonSet()
        var remaining = noted.bits
        while remaining != 0 {
            let index = remaining.trailingZeroBitCount
            remaining &= remaining &- 1
            let reasonAction = policy.action(atIndex: UInt64(index))
            guard reasonAction != .accept else { continue }
            reasons.bits |= 1 << UInt64(index)
            action = max(action, reasonAction)
        }
        return (action, reasons)
    }
}
