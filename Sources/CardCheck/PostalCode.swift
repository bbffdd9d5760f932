/// How much of a US ZIP code matched.
public enum ZIPMatch: Sendable, Hashable {
    case none, five, nine
}

/// Postal code comparisons. Never allocate.
public enum PostalCode {
    /// The digits of a US ZIP code: how many, and the first five and first nine as numbers.
    @usableFromInline struct ZIPDigits {
        @usableFromInline var count = 0
        @usableFromInline var firstFive: UInt32 = 0
        @usableFromInline var firstNine: UInt32 = 0

        @inlinable init(_ bytes: UnsafeBufferPointer<UInt8>) {
            // The usual shapes, unrolled: 12345, 123456789, 12345-6789.
            switch bytes.count {
            case 5:
                if let five = ZIPDigits.number(bytes, from: 0, count: 5) {
                    (count, firstFive, firstNine) = (5, five, five)
                    return
                }
            case 9:
                if let nine = ZIPDigits.number(bytes, from: 0, count: 9) {
                    (count, firstFive, firstNine) = (9, nine / 10_000, nine)
                    return
                }
            case 10 where bytes[5] == 0x2D:
                if let five = ZIPDigits.number(bytes, from: 0, count: 5),
                    let four = ZIPDigits.number(bytes, from: 6, count: 4)
                {
                    (count, firstFive, firstNine) = (9, five, five &* 10_000 &+ four)
                    return
                }
            default:
                break
            }
            var index = 0
            while index < bytes.count {
                let digit = bytes[index] &- 0x30
                index &+= 1
                guard digit < 10 else { continue }
                if count < 9 { firstNine = firstNine &* 10 &+ UInt32(digit) }
                count &+= 1
                if count == 5 { firstFive = firstNine }
            }
        }

        /// `count` digits from `start` as a number, or `nil` if any is not a digit.
        @inlinable @inline(__always)
        static func number(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, count: Int) -> UInt32? {
            var value: UInt32 = 0
            for index in start..<(start + count) {
                let digit = bytes[index] &- 0x30
                if digit > 9 { return nil }
                value = value &* 10 &+ UInt32(digit)
            }
            return value
        }
    }

    /// US ZIP codes compare as digits only (`12345-6789` is `123456789`): all nine digits when both sides
    /// have nine, else the first five. `nil` when either side has no digits.
    @inlinable public static func compareZIP(_ entered: UTF8Field, _ onFile: UTF8Field) -> ZIPMatch? {
        let left = ZIPDigits(entered.orEmpty)
        let right = ZIPDigits(onFile.orEmpty)
        if left.count == 0 || right.count == 0 { return nil }
        if left.count == 9 && right.count == 9 && left.firstNine == right.firstNine { return .nine }
        if left.count >= 5 && right.count >= 5 && left.firstFive == right.firstFive { return .five }
        return ZIPMatch.none
    }

    public static func compareZIP(_ entered: String?, _ onFile: String?) -> ZIPMatch? {
        entered.withUTF8Field { left in onFile.withUTF8Field { right in compareZIP(left, right) } }
    }

    /// Non-US postcodes (UK, Canada, ...) compare letters and digits only, case-insensitively
    /// (`SW1A 1AA` is `sw1a1aa`). `nil` when either side has none.
    @inlinable public static func compareAlphanumeric(_ entered: UTF8Field, _ onFile: UTF8Field) -> Bool? {
        let left = entered.orEmpty
        let right = onFile.orEmpty
        guard left.contains(where: \.isASCIIAlphanumeric), right.contains(where: \.isASCIIAlphanumeric) else {
            return nil
        }
        var l = 0
        var r = 0
        while true {
            while l < left.count && !left[l].isASCIIAlphanumeric { l &+= 1 }
            while r < right.count && !right[r].isASCIIAlphanumeric { r &+= 1 }
            if l == left.count || r == right.count { return l == left.count && r == right.count }
            if left[l].asciiUppercased != right[r].asciiUppercased { return false }
            l &+= 1
            r &+= 1
        }
    }

    public static func compareAlphanumeric(_ entered: String?, _ onFile: String?) -> Bool? {
        entered.withUTF8Field { left in onFile.withUTF8Field { right in compareAlphanumeric(left, right) } }
    }
}
