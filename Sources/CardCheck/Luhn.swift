/// The Luhn (Mod 10) check of ISO/IEC 7812.
///
/// It catches every single-digit error and every adjacent transposition except 09<->90; it misses the twin
/// errors 22<->55, 33<->66, 44<->77 and jump transpositions (abc<->cba).
public enum Luhn {
    /// Folds digits left to right without knowing the final length: it keeps the sum for both parities of
    /// length and picks one at the end, so a PAN is parsed and checked in one pass.
    @frozen public struct Accumulator: Sendable {
        @usableFromInline var sumIfEvenLength: UInt32 = 0
        @usableFromInline var sumIfOddLength: UInt32 = 0
        @usableFromInline var count: Int = 0

        @inlinable public init() {}

        @inlinable public mutating func append(_ digit: UInt8) {
            let plain = UInt32(digit)
            let doubled = plain < 5 ? plain &* 2 : plain &* 2 &- 9
            // Counting from the right, the check digit is position 1 and every even position is doubled,
            // so index i from the left is doubled when (length - i) is even.
            if count & 1 == 0 {
                sumIfEvenLength &+= doubled
                sumIfOddLength &+= plain
            } else {
                sumIfEvenLength &+= plain
                sumIfOddLength &+= doubled
            }
            count &+= 1
        }

        /// The sum of the Luhn-weighted digits appended so far.
        @inlinable public var sum: UInt32 { count & 1 == 0 ? sumIfEvenLength : sumIfOddLength }

        @inlinable public var isValid: Bool { count > 0 && sum % 10 == 0 }
    }

    /// Whether a string of ASCII digits passes Mod 10. Any non-digit makes it fail.
    public static func isValid(_ digits: some StringProtocol) -> Bool {
        var accumulator = Accumulator()
        for byte in digits.utf8 {
            guard byte.isASCIIDigit else { return false }
            accumulator.append(byte &- 0x30)
        }
        return accumulator.isValid
    }

    /// The check digit that makes `payload` followed by it pass Mod 10.
    public static func checkDigit(for payload: some StringProtocol) -> Character {
        var accumulator = Accumulator()
        for byte in payload.utf8 where byte.isASCIIDigit { accumulator.append(byte &- 0x30) }
        accumulator.append(0)  // the check digit's place
        return Character(String((10 - accumulator.sum % 10) % 10))
    }
}
