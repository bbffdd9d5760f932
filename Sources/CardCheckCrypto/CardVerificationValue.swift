import CardCheck

/// The issuers' card verification value algorithm (Visa CVV/CVV2/iCVV, Mastercard CVC/CVC2, and the
/// same for Discover and JCB): see ../shared/reference/csc-algorithm.md and Tests/CardCheckCryptoTests/cvv-algorithm.json.
public enum CardVerificationValue {
    /// The service code of the value printed on the card (CVV2/CVC2).
    public static let printedServiceCode: UInt16 = 0
    /// The service code of the chip's track-equivalent value (iCVV).
    public static let chipServiceCode: UInt16 = 999

    /// The order of the four expiry digits the issuer used when it made the codes.
    public enum ExpiryOrder: String, Sendable, Hashable, CaseIterable {
        case yymm = "YYMM"
        case mmyy = "MMYY"

        public func digits(_ expiry: YearMonth) -> UInt16 {
            let year = UInt16(expiry.year % 100)
            let month = UInt16(expiry.month)
            return self == .yymm ? year * 100 + month : month * 100 + year
        }
    }

    /// The 3-digit code (ASCII) for `pan`, the expiry as 4 digits in the issuer's order (e.g. 2812 for
    /// YYMM December 2028) and a 3-digit service code.
    @inline(__always)
    public static func code(key: CardVerificationKey, pan: PAN, expiryDigits: UInt16, serviceCode: UInt16) -> Code {
        code(key: key, panValue: pan.value, panLength: pan.length, expiryDigits: expiryDigits, serviceCode: serviceCode)
    }

    /// The same over a PAN given as its value and digit count (Visa's CAVV uses the PAN as 16 digits).
    @inline(__always)
    static func code(
        key: CardVerificationKey,
        panValue: UInt64,
        panLength: Int,
        expiryDigits: UInt16,
        serviceCode: UInt16
    ) -> Code {
        // S = PAN ‖ expiry ‖ service code, right-padded with 0 to 32 hex digits, as two 8-byte blocks.
        var nibbles = InlineArray<32, UInt8>(repeating: 0)
        var value = panValue
        let pan = (value: panValue, length: panLength)
        var index = pan.length - 1
        while index >= 0 {
            nibbles[index] = UInt8(truncatingIfNeeded: value % 10)
            value /= 10
            index -= 1
        }
        let expiry = expiryDigits
        let service = serviceCode
        nibbles[pan.length] = UInt8(expiry / 1000)
        nibbles[pan.length + 1] = UInt8(expiry / 100 % 10)
        nibbles[pan.length + 2] = UInt8(expiry / 10 % 10)
        nibbles[pan.length + 3] = UInt8(expiry % 10)
        nibbles[pan.length + 4] = UInt8(service / 100 % 10)
        nibbles[pan.length + 5] = UInt8(service / 10 % 10)
        nibbles[pan.length + 6] = UInt8(service % 10)
        var block1: UInt64 = 0
        var block2: UInt64 = 0
        for index in 0..<16 {
            block1 = block1 << 4 | UInt64(nibbles[index])
            block2 = block2 << 4 | UInt64(nibbles[16 + index])
        }
        return Code(decimalizing: key.cvvCore(block1, block2))
    }

    /// Whether `entered` (ASCII digits) is the code, compared in constant time.
    @inline(__always)
    public static func verify(
        _ entered: UnsafeBufferPointer<UInt8>,
        key: CardVerificationKey,
        pan: PAN,
        expiryDigits: UInt16,
        serviceCode: UInt16
    ) -> Bool {
        let expected = code(key: key, pan: pan, expiryDigits: expiryDigits, serviceCode: serviceCode)
        guard entered.count == 3 else { return false }  // the length is not secret: 3 digits on every brand here
        let difference =
            (entered[0] ^ expected.digits.0) | (entered[1] ^ expected.digits.1) | (entered[2] ^ expected.digits.2)
        return difference == 0
    }

    /// Three ASCII digits.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let digits: (UInt8, UInt8, UInt8)

        /// The decimal digits of R's 16 hex digits left to right; if fewer than 3, a second pass maps
        /// A–F to 0–5. The second pass matters for about 1 card in 18,000.
        @inline(__always)
        init(decimalizing result: UInt64) {
            var picked: UInt32 = 0
            var count = 0
            for pass in 0..<2 where count < 3 {
                var shift = 60
                while shift >= 0 && count < 3 {
                    let nibble = UInt8(truncatingIfNeeded: result >> UInt64(shift)) & 0xF
                    if (pass == 0) == (nibble < 10) {
                        picked = picked << 8 | UInt32(UInt8(ascii: "0") + (pass == 0 ? nibble : nibble - 10))
                        count += 1
                    }
                    shift -= 4
                }
            }
            digits = (
                UInt8(truncatingIfNeeded: picked >> 16), UInt8(truncatingIfNeeded: picked >> 8),
                UInt8(truncatingIfNeeded: picked)
            )
        }

        public init?(_ text: some StringProtocol) {
            let bytes = Array(text.utf8)
            guard bytes.count == 3, bytes.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
                return nil
            }
            digits = (bytes[0], bytes[1], bytes[2])
        }

        public var description: String { String(decoding: [digits.0, digits.1, digits.2], as: UTF8.self) }

        public static func == (lhs: Code, rhs: Code) -> Bool { lhs.digits == rhs.digits }
        public func hash(into hasher: inout Hasher) { hasher.combine(description) }
    }
}
