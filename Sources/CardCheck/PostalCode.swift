/// How much of a US ZIP code matched.
public enum ZIPMatch: Sendable, Hashable {
    case none, five, nine
}

/// Postal code comparisons. Never allocate.
public enum PostalCode {
    /// US ZIP codes compare as digits only (`12345-6789` is `123456789`): all nine digits when both sides
    /// have nine, else the first five. `nil` when either side has no digits.
    @inlinable public static func compareZIP(_ entered: String?, _ onFile: String?) -> ZIPMatch? {
        entered.withUTF8Bytes { left in
            onFile.withUTF8Bytes { right in
                var leftDigits = left.lazy.filter(\.isASCIIDigit).makeIterator()
                var rightDigits = right.lazy.filter(\.isASCIIDigit).makeIterator()
                var matched = 0
                var leftCount = 0
                var rightCount = 0
                var diverged = false
                while true {
                    let l = leftDigits.next()
                    let r = rightDigits.next()
                    if l != nil { leftCount += 1 }
                    if r != nil { rightCount += 1 }
                    if l == nil && r == nil { break }
                    if !diverged, let l, let r, l == r { matched += 1 } else { diverged = true }
                }
                if leftCount == 0 || rightCount == 0 { return nil }
                if leftCount == 9 && rightCount == 9 && matched == 9 { return .nine }
                if leftCount >= 5 && rightCount >= 5 && matched >= 5 { return .five }
                return ZIPMatch.none
            }
        }
    }

    /// Non-US postcodes (UK, Canada, ...) compare letters and digits only, case-insensitively
    /// (`SW1A 1AA` is `sw1a1aa`). `nil` when either side has none.
    @inlinable public static func compareAlphanumeric(_ entered: String?, _ onFile: String?) -> Bool? {
        entered.withUTF8Bytes { left in
            onFile.withUTF8Bytes { right in
                let isKept: (UInt8) -> Bool = { $0.isASCIIDigit || $0.isASCIILetter }
                var leftCharacters = left.lazy.filter(isKept).map(\.asciiUppercased).makeIterator()
                var rightCharacters = right.lazy.filter(isKept).map(\.asciiUppercased).makeIterator()
                var sawAny = (left: false, right: false)
                var equal = true
                while true {
                    let l = leftCharacters.next()
                    let r = rightCharacters.next()
                    if l == nil && r == nil { break }
                    if l != nil { sawAny.left = true }
                    if r != nil { sawAny.right = true }
                    if l != r { equal = false }
                }
                return sawAny.left && sawAny.right ? equal : nil
            }
        }
    }
}
