/// The outcome of checking an expiry date.
public enum ExpiryStatus: UInt8, Sendable, Hashable {
    case valid
    /// Not `MMYY`, `MM/YY` or `MM/YYYY`, or the month is not 01-12.
    case malformed
    /// The card's month is over.
    case expired
    /// More than ``Expiry/maximumMonthsAhead`` months ahead: no issuer prints that.
    case tooFarAhead

    @inlinable public var isValid: Bool { self == .valid }
}

/// A card expiry date: the card is valid through the last day of its month.
@frozen public struct Expiry: Sendable, Hashable {
    public let month: YearMonth

    /// Twenty years.
    public static let maximumMonthsAhead = 240

    /// Parses `MMYY`, `MM/YY` or `MM/YYYY`. A two-digit year means the year ending in those digits that lies
    /// from 79 years before `today` to 20 years after it (so `99` is 1999 in 2026, not 2099).
    @inlinable public static func parse(_ text: String, today: YearMonth) -> Expiry? {
        text.withUTF8Bytes { parse(utf8: $0, today: today) }
    }

    @inlinable public static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>, today: YearMonth) -> Expiry? {
        let count = bytes.count
        guard count == 4 || count == 5 || count == 7 else { return nil }  // MMYY, MM/YY, MM/YYYY
        let yearStart: Int
        if count == 4 {
            yearStart = 2
        } else {
            guard bytes[2] == 0x2F else { return nil }  // "/"
            yearStart = 3
        }
        let tens = bytes[0] &- 0x30
        let ones = bytes[1] &- 0x30
        guard tens < 10, ones < 10 else { return nil }
        var year = 0
        var index = yearStart
        while index < count {
            let digit = bytes[index] &- 0x30
            guard digit < 10 else { return nil }
            year = year &* 10 &+ Int(digit)
            index &+= 1
        }
        if count != 7 {
            year += today.year - today.year % 100
            if year > today.year + 20 { year -= 100 }
            if year <= today.year - 80 { year += 100 }
        }
        return YearMonth(year: year, month: Int(tens) &* 10 &+ Int(ones)).map(Expiry.init(month:))
    }

    @inlinable public init(month: YearMonth) { self.month = month }

    /// Whether the card can be used in the month `today`.
    @inlinable public func status(today: YearMonth) -> ExpiryStatus {
        if month < today { return .expired }
        if month.ordinal - today.ordinal > Expiry.maximumMonthsAhead { return .tooFarAhead }
        return .valid
    }

    /// Parses and checks in one step.
    @inlinable public static func check(_ text: String, today: YearMonth) -> ExpiryStatus {
        parse(text, today: today)?.status(today: today) ?? .malformed
    }
}
