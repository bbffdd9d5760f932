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

        func covers(_ pan: PAN) -> Bool {
            guard pan.length >= digits else { return false }
            var prefix = pan.value
            for _ in 0..<(pan.length - digits) { prefix /= 10 }
            return low <= prefix && prefix <= high
        }
    }

    /// Most specific first.
    public private(set) var ranges: [Range] = []

    public init() {}

    public var isEmpty: Bool { ranges.isEmpty }
    public var keyCount: Int { ranges.reduce(0) { $0 + $1.entries.count } }

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
        case .noKey: nil
        }
    }
}
