import CSystemCrypto
import CardCheck

/// Visa's CAVV (3-D Secure's cardholder authentication verification value, "usage 3"): the card verification
/// value algorithm under a CAVV key pair, with the unpredictable number in place of the expiry and the
/// authentication results code and second factor code in place of the service code
/// (shared/reference/three-d-secure.md).
public enum VisaCAVV {
    /// The fields a CAVV carries in BCD: `nil` when a nibble is not a decimal digit where one belongs.
    public struct Fields: Sendable, Hashable {
        public var resultsCode: UInt8
        public var secondFactor: UInt8
        public var keyIndicator: UInt8
        public var output: UInt16
        public var unpredictableNumber: UInt16

        public init?(_ value: AuthenticationValue) {
            func bcd(_ byte: UInt8) -> UInt8? {
                let (high, low) = (byte >> 4, byte & 0xF)
                return high < 10 && low < 10 ? high * 10 + low : nil
            }
            guard let results = bcd(value[0]), results < 10, let second = bcd(value[1]), let indicator = bcd(value[2]),
                let outputHigh = bcd(value[3]), outputHigh < 10, let outputLow = bcd(value[4]),
                let unHigh = bcd(value[5]), let unLow = bcd(value[6])
            else { return nil }
            resultsCode = results
            secondFactor = second
            keyIndicator = indicator
            output = UInt16(outputHigh) * 100 + UInt16(outputLow)
            unpredictableNumber = UInt16(unHigh) * 100 + UInt16(unLow)
        }
    }

    /// The 3-digit output for a card: the PAN as 16 digits (a shorter one left-padded with zeros, a longer
    /// one's rightmost 16), the unpredictable number, the results code and the second factor code.
    public static func output(
        key: CardVerificationKey,
        pan: PAN,
        unpredictableNumber: UInt16,
        resultsCode: UInt8,
        secondFactor: UInt8
    ) -> UInt16 {
        let code = CardVerificationValue.code(
            key: key,
            panValue: pan.value % 10_000_000_000_000_000,
            panLength: 16,
            expiryDigits: unpredictableNumber,
            serviceCode: UInt16(resultsCode) * 100 + UInt16(secondFactor)
        )
        let zero = UInt16(UInt8(ascii: "0"))
        return (UInt16(code.digits.0) - zero) * 100 + (UInt16(code.digits.1) - zero) * 10 + UInt16(code.digits.2) - zero
    }

    /// Whether the CAVV's output is the card's under `key`, compared without an early exit.
    public static func verify(_ fields: Fields, key: CardVerificationKey, pan: PAN) -> Bool {
        let expected = output(
            key: key,
            pan: pan,
            unpredictableNumber: fields.unpredictableNumber,
            resultsCode: fields.resultsCode,
            secondFactor: fields.secondFactor
        )
        return (expected ^ fields.output) == 0
    }
}

/// Mastercard's SPA AAV (3-D Secure 1, HMAC variant): its last 5 bytes are the first 5 of HMAC-SHA1 under
/// the issuer's key over the PAN in BCD (right-padded with F to 10 bytes) and the AAV's first 15 bytes.
public enum MastercardAAV {
    /// An issuer's HMAC key, held in memory of its own that is wiped when it goes away; named by its
    /// check value (the first 6 hex digits of HMAC-SHA1 over 8 zero bytes).
    public final class Key: @unchecked Sendable {
        // @unchecked: written once in init, then only read.
        let bytes: UnsafeMutableBufferPointer<UInt8>
        public let checkValue: String

        public enum Problem: Error, Equatable, CustomStringConvertible {
            case notHex
            case wrongLength(Int)

            public var description: String {
                switch self {
                case .notHex: "an AAV key is hex digits only"
                case .wrongLength(let count): "an AAV key is 32 to 128 hex digits (16 to 64 bytes), not \(count)"
                }
            }
        }

        public init(hex: some StringProtocol) throws(Problem) {
            var digits = Array(hex.utf8)
            defer { SecretText.wipe(&digits) }
            guard digits.count % 2 == 0, (32...128).contains(digits.count) else { throw .wrongLength(digits.count) }
            let bytes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: digits.count / 2)
            for index in 0..<bytes.count {
                guard let high = AuthenticationValue.hexValue(digits[2 * index]),
                    let low = AuthenticationValue.hexValue(digits[2 * index + 1])
                else {
                    OPENSSL_cleanse(bytes.baseAddress, bytes.count)
                    bytes.deallocate()
                    throw .notHex
                }
                bytes[index] = high << 4 | low
            }
            self.bytes = bytes
            let check = Key.mac(bytes, over: [UInt8](repeating: 0, count: 8))
            checkValue = check.prefix(3).map { String($0, radix: 16, uppercase: true).leftPadded(2) }.joined()
        }

        deinit {
            OPENSSL_cleanse(bytes.baseAddress, bytes.count)
            bytes.deallocate()
        }

        static func mac(_ key: UnsafeMutableBufferPointer<UInt8>, over data: [UInt8]) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
            var length: UInt32 = 0
            data.withUnsafeBufferPointer { data in
                _ = HMAC(EVP_sha1(), key.baseAddress, Int32(key.count), data.baseAddress, data.count, &out, &length)
            }
            return Array(out.prefix(Int(length)))
        }
    }

    /// The BIN key identifier (byte 11's low nibble), which names the issuer's key.
    public static func keyIdentifier(_ value: AuthenticationValue) -> UInt8 { value[10] & 0x0F }

    /// Whether the AAV is of the HMAC kind this verifies: control byte 0x8C (authenticated) or 0x86
    /// (attempt), and an ACS identifier of 0 to 7 (8 to 15 are the CVC2 variant).
    public static func isHMACKind(_ value: AuthenticationValue) -> Bool {
        (value[0] == 0x8C || value[0] == 0x86) && value[9] < 8
    }

    /// The 5-byte MAC the AAV should end with.
    public static func mac(key: Key, pan: PAN, value: AuthenticationValue) -> [UInt8] {
        var data = [UInt8](repeating: 0xFF, count: 10)
        let digits = String(pan.value).leftPadded(pan.length)
        for (index, digit) in digits.utf8.enumerated() {
            let nibble = digit - UInt8(ascii: "0")
            data[index / 2] = index % 2 == 0 ? (nibble << 4 | 0x0F) : (data[index / 2] & 0xF0 | nibble)
        }
        for index in 0..<15 { data.append(value[index]) }
        return Array(Key.mac(key.bytes, over: data).prefix(5))
    }

    /// Whether the AAV's MAC is the card's under `key`, compared without an early exit.
    public static func verify(_ value: AuthenticationValue, key: Key, pan: PAN) -> Bool {
        let expected = mac(key: key, pan: pan, value: value)
        var difference: UInt8 = 0
        for index in 0..<5 { difference |= expected[index] ^ value[15 + index] }
        return difference == 0
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
