import CardCheck

/// Card verification keys assigned to IIN prefix ranges. A range may hold several keys (rotation): a
/// code is verified against each, and the answer says which matched. A card verifies under the most
/// specific range (longest prefix) that covers it; a card no range covers gets nil (the engine's `U`).
public struct KeyTable: Sendable, SecurityCodeIssuer {
    public struct Entry: Sendable {
        public var name: String
        public var key: CardVerificationKey
        public var expiryOrder: CardVerificationValue.ExpiryOrder

        public init(name: String, key: CardVerificationKey, expiryOrder: CardVerificationValue.ExpiryOrder) {
            self.name = name
            self.key = key
            self.expiryOrder = expiryOrder
        }

        public var identity: KeyIdentity { KeyIdentity(name: name, checkValue: key.checkValue) }
    }

    public struct Range: Sendable {
        /// Both ends are prefixes of `digits` digits.
        public var low: UInt64
        public var high: UInt64
        public var digits: Int
        public var entries: [Entry]

        func covers(_ pan: PAN) -> Bool { KeyTable.covers(pan, low: low, high: high, digits: digits) }
    }

    /// Whether `pan`'s first `digits` digits lie in `low...high`.
    static func covers(_ pan: PAN, low: UInt64, high: UInt64, digits: Int) -> Bool {
        guard pan.length >= digits else { return false }
        var prefix = pan.value
        for _ in 0..<(pan.length - digits) { prefix /= 10 }
        return low <= prefix && prefix <= high
    }

    /// Most specific first.
    public private(set) var ranges: [Range] = []

    /// A 3-D Secure authentication value key: a Visa CAVV pair for one key indicator, or a Mastercard
    /// SPA AAV HMAC key for one BIN key identifier.
    public struct AuthenticationKey: Sendable {
        public enum Kind: Sendable {
            case cavv(CardVerificationKey, indicator: UInt8)
            case aav(MastercardAAV.Key, keyID: UInt8)
        }
        public var name: String
        // Stored as plain optional references, not as `Kind`: in a two-payload enum Swift packs the case
        // into the reference's spare bits, and a leak checker (LeakSanitizer, under the fuzzer) no longer
        // recognises it as a pointer and reported every AAV key as leaked.
        private let cavvKey: CardVerificationKey?
        private let aavKey: MastercardAAV.Key?
        /// The CAVV key indicator or the AAV key id.
        private let number: UInt8

        public init(name: String, kind: Kind) {
            self.name = name
            switch kind {
            case .cavv(let key, let indicator): (cavvKey, aavKey, number) = (key, nil, indicator)
            case .aav(let key, let keyID): (cavvKey, aavKey, number) = (nil, key, keyID)
            }
        }

        public var kind: Kind {
            if let cavvKey { return .cavv(cavvKey, indicator: number) }
            return .aav(aavKey!, keyID: number)
        }

        public var checkValue: String { cavvKey?.checkValue ?? aavKey!.checkValue }

        /// Its name and check value: never the key.
        public var identity: KeyIdentity { KeyIdentity(name: name, checkValue: checkValue) }
    }

    public struct AuthenticationRange: Sendable {
        public var low: UInt64
        public var high: UInt64
        public var digits: Int
        public var keys: [AuthenticationKey]

        func covers(_ pan: PAN) -> Bool { KeyTable.covers(pan, low: low, high: high, digits: digits) }
    }

    /// CAVV and AAV keys by prefix range, most specific first.
    public private(set) var authenticationRanges: [AuthenticationRange] = []

    public mutating func add(_ key: AuthenticationKey, low: UInt64, high: UInt64, digits: Int) {
        if let index = authenticationRanges.firstIndex(where: {
            $0.low == low && $0.high == high && $0.digits == digits
        }) {
            authenticationRanges[index].keys.append(key)
        } else {
            authenticationRanges.append(AuthenticationRange(low: low, high: high, digits: digits, keys: [key]))
            authenticationRanges.sort {
                $0.digits != $1.digits ? $0.digits > $1.digits : $0.high - $0.low < $1.high - $1.low
            }
        }
    }

    /// Every key's name and check value, for the log and `--check-config`: never the key.
    public var keyDescriptions: [String] {
        ranges.flatMap { $0.entries.map { "\($0.name) (KCV \($0.key.checkValue))" } }
            + authenticationRanges.flatMap { range in
                range.keys.map { key in
                    switch key.kind {
                    case .cavv(_, let indicator): "\(key.name) (CAVV, indicator \(indicator), KCV \(key.checkValue))"
                    case .aav(_, let keyID): "\(key.name) (AAV, key id \(keyID), KCV \(key.checkValue))"
                    }
                }
            }
    }

    public init() {}

    public var isEmpty: Bool { ranges.isEmpty && authenticationRanges.isEmpty }
    public var keyCount: Int {
        ranges.reduce(0) { $0 + $1.entries.count } + authenticationRanges.reduce(0) { $0 + $1.keys.count }
    }

    /// Adds `entry` to the range `low...high` of `digits`-digit prefixes, making the range if new.
    public mutating func add(_ entry: Entry, low: UInt64, high: UInt64, digits: Int) {
        if let index = ranges.firstIndex(where: { $0.low == low && $0.high == high && $0.digits == digits }) {
            ranges[index].entries.append(entry)
        } else {
            ranges.append(Range(low: low, high: high, digits: digits, entries: [entry]))
            ranges.sort { $0.digits != $1.digits ? $0.digits > $1.digits : $0.high - $0.low < $1.high - $1.low }
        }
    }

    /// The keys that cover `pan`, most specific range first; empty when none does.
    public func entries(for pan: PAN) -> [Entry] {
        ranges.first { $0.covers(pan) }?.entries ?? []
    }

    /// Which key, if any, makes `code` the right code. With rotation every key of the range is tried.
    public func verifyCode(
        _ code: UnsafeBufferPointer<UInt8>,
        pan: PAN,
        expiry: YearMonth,
        serviceCode: UInt16
    ) -> SecurityCodeVerification {
        guard let range = ranges.first(where: { $0.covers(pan) }) else { return .noKey }
        for entry in range.entries
        where CardVerificationValue.verify(
            code,
            key: entry.key,
            pan: pan,
            expiryDigits: entry.expiryOrder.digits(expiry),
            serviceCode: serviceCode
        ) {
            return .match(entry.identity)
        }
        return .noMatch
    }

    public func issueCode(pan: PAN, expiry: YearMonth, serviceCode: UInt16) -> (code: String, key: KeyIdentity)? {
        guard let entry = entries(for: pan).first else { return nil }
        let code = CardVerificationValue.code(
            key: entry.key,
            pan: pan,
            expiryDigits: entry.expiryOrder.digits(expiry),
            serviceCode: serviceCode
        )
        return (code.description, entry.identity)
    }

    public func verifyPrintedCode(pan: PAN, expiry: YearMonth, code: UnsafeBufferPointer<UInt8>) -> Bool? {
        switch verifyCode(code, pan: pan, expiry: expiry, serviceCode: CardVerificationValue.printedServiceCode) {
        case .match: true
        case .noMatch: false
        case .noKey, .locked: nil
        }
    }
}

extension KeyTable: AuthenticationValueIssuer {
    /// Verifies a Visa CAVV (the key whose indicator the CAVV names) or a Mastercard SPA AAV (the key of its
    /// BIN key identifier) under the most specific range covering the card; `nil` (U) when no such key,
    /// another brand, or a value of a kind not verified here.
    public func verifyAuthenticationValue(_ value: AuthenticationValue, pan: PAN, card: CardAttributes?) -> Bool? {
        switch authenticationValueVerification(value, pan: pan, card: card) {
        case .match: true
        case .noMatch: false
        case .noKey, .locked: nil
        }
    }

    public func authenticationValueVerification(
        _ value: AuthenticationValue,
        pan: PAN,
        card: CardAttributes?
    ) -> SecurityCodeVerification {
        guard let card, let range = authenticationRanges.first(where: { $0.covers(pan) }) else { return .noKey }
        if card.isVisa {
            guard let fields = VisaCAVV.Fields(value) else { return .noKey }
            for key in range.keys {
                if case .cavv(let cavvKey, let indicator) = key.kind, indicator == fields.keyIndicator {
                    return VisaCAVV.verify(fields, key: cavvKey, pan: pan) ? .match(key.identity) : .noMatch
                }
            }
            return .noKey
        }
        if card.isMastercardOrMaestro {
            guard MastercardAAV.isHMACKind(value) else { return .noKey }
            let keyID = MastercardAAV.keyIdentifier(value)
            for key in range.keys {
                if case .aav(let aavKey, let id) = key.kind, id == keyID {
                    return MastercardAAV.verify(value, key: aavKey, pan: pan) ? .match(key.identity) : .noMatch
                }
            }
        }
        return .noKey
    }

    public func issueAuthenticationValue(
        _ order: AuthenticationValueOrder,
        pan: PAN,
        card: CardAttributes?
    ) throws(AuthenticationValueIssueError) -> (value: AuthenticationValue, key: KeyIdentity) {
        guard let card, card.isVisa || card.isMastercardOrMaestro else { throw .brandNotSupported }
        if let problem = order.problem(visa: card.isVisa) { throw problem }
        let keys = authenticationRanges.first(where: { $0.covers(pan) })?.keys ?? []
        var random = SystemRandomNumberGenerator()
        if card.isVisa {
            for key in keys {
                guard case .cavv(let cavvKey, let indicator) = key.kind,
                    order.keyIndicator == nil || order.keyIndicator == indicator
                else { continue }
                let value = VisaCAVV.make(
                    key: cavvKey,
                    pan: pan,
                    resultsCode: order.status == .Y ? 0 : 7,
                    secondFactor: order.secondFactor,
                    keyIndicator: indicator,
                    trackingNumber: order.transactionNumber
                        ?? UInt64.random(in: 0...AuthenticationValueOrder.maximumTrackingNumber, using: &random)
                )
                return (value, key.identity)
            }
        } else {
            for key in keys {
                guard case .aav(let aavKey, let keyID) = key.kind,
                    order.keyIndicator == nil || order.keyIndicator == keyID
                else { continue }
                let value = MastercardAAV.make(
                    key: aavKey,
                    pan: pan,
                    controlByte: order.status == .Y ? 0x8C : 0x86,
                    merchantName: order.merchantName,
                    acsIdentifier: order.acsIdentifier,
                    authenticationMethod: order.authenticationMethod ?? (order.status == .Y ? 1 : 0),
                    keyID: keyID,
                    sequenceNumber: order.transactionNumber.map { UInt32($0) } ?? random.next()
                )
                return (value, key.identity)
            }
        }
        throw .noKey
    }
}
