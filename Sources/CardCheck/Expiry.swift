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
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let digit = bytes[index] &- 0x30
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
            }
            return value
        }
        let monthValue: Int?
        var year: Int?
        switch bytes.count {
        case 4:  // MMYY
            monthValue = number(0..<2)
            year = number(2..<4)
        case 5 where bytes[2] == 0x2F:  // MM/YY
            monthValue = number(0..<2)
            year = number(3..<5)
        case 7 where bytes[2] == 0x2F:  // MM/YYYY
            monthValue = number(0..<2)
            year = number(3..<7).map { $0 + 100_000 }  // marks a four-digit year
        default:
            return nil
        }
        guard let monthValue, var resolvedYear = year else { return nil }
        if resolvedYear >= 100_000 {
            resolvedYear -= 100_000
        } else {
            resolvedYear += today.year - today.year % 100
            if resolvedYear > today.year + 20 { resolvedYear -= 100 }
            if resolvedYear <= today.year - 80 { resolvedYear += 100 }
        }
        return YearMonth(year: resolvedYear, month: monthValue).map(Expiry.init(month:))
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
