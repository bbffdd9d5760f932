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

    /// The CAVV an ACS makes: results code, second factor, key indicator, output, the unpredictable number
    /// (the tracking number's last 4 digits), the tracking number, and version and action 0, in BCD.
    public static func make(
        key: CardVerificationKey,
        pan: PAN,
        resultsCode: UInt8,
        secondFactor: UInt8,
        keyIndicator: UInt8,
        trackingNumber: UInt64
    ) -> AuthenticationValue {
        let unpredictableNumber = UInt16(trackingNumber % 10_000)
        let output = output(
            key: key,
            pan: pan,
            unpredictableNumber: unpredictableNumber,
            resultsCode: resultsCode,
            secondFactor: secondFactor
        )
        func bcd(_ value: some BinaryInteger) -> UInt8 { UInt8(value / 10 % 10) << 4 | UInt8(value % 10) }
        var bytes = [UInt8](repeating: 0, count: 20)
        bytes[0] = resultsCode
        bytes[1] = bcd(secondFactor)
        bytes[2] = bcd(keyIndicator)
        bytes[3] = UInt8(output / 100)
        bytes[4] = bcd(output % 100)
        bytes[5] = bcd(unpredictableNumber / 100)
        bytes[6] = bcd(unpredictableNumber % 100)
        var digits = trackingNumber
        for index in stride(from: 14, through: 7, by: -1) {
            bytes[index] = bcd(digits % 100)
            digits /= 100
        }
        return AuthenticationValue(bytes: bytes)!
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
    /// An issuer's HMAC key, kept only as the two SHA-1 states HMAC starts from (after the key xor ipad and
    /// after the key xor opad), in memory of its own that is wiped when it goes away: a verification copies
    /// them and finishes, with no allocation (the one-shot `HMAC()` built a context each time: 19
    /// allocations, 3.5 µs). Named by its check value (the first 6 hex digits of HMAC-SHA1 over 8 zero bytes).
    public final class Key: @unchecked Sendable {
        // @unchecked: written once in init, then only read (copied) by verifications.
        let states: UnsafeMutablePointer<SHA_CTX>  // [inner, outer]
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
            // A key of up to 64 bytes is used as it is, zero-padded to SHA-1's block of 64 (RFC 2104).
            var block = [UInt8](repeating: 0, count: 64)
            defer { OPENSSL_cleanse(&block, block.count) }
            for index in 0..<digits.count / 2 {
                guard let high = AuthenticationValue.hexValue(digits[2 * index]),
                    let low = AuthenticationValue.hexValue(digits[2 * index + 1])
                else { throw .notHex }
                block[index] = high << 4 | low
            }
            states = .allocate(capacity: 2)
            states.initialize(repeating: SHA_CTX(), count: 2)
            for (state, pad) in [(0, UInt8(0x36)), (1, UInt8(0x5C))] {
                var padded = block.map { $0 ^ pad }
                SHA1_Init(states + state)
                SHA1_Update(states + state, &padded, 64)
                OPENSSL_cleanse(&padded, padded.count)
            }
            var zeros = [UInt8](repeating: 0, count: 8)
            let check = Key.mac(states, over: &zeros, count: 8)
            checkValue = [check.0, check.1, check.2].map { String($0, radix: 16, uppercase: true).leftPadded(2) }
                .joined()
        }

        deinit {
            OPENSSL_cleanse(states, 2 * MemoryLayout<SHA_CTX>.stride)
            states.deallocate()
        }

        /// The first 5 bytes of HMAC-SHA1 over `count` bytes at `data`.
        static func mac(
            _ states: UnsafeMutablePointer<SHA_CTX>,
            over data: UnsafeRawPointer,
            count: Int
        ) -> (UInt8, UInt8, UInt8, UInt8, UInt8) {
            var inner = states[0]
            var outer = states[1]
            var digest: (UInt64, UInt64, UInt32) = (0, 0, 0)  // 20 bytes
            return withUnsafeMutableBytes(of: &digest) { digest in
                let bytes = digest.baseAddress!.assumingMemoryBound(to: UInt8.self)
                SHA1_Update(&inner, data, count)
                SHA1_Final(bytes, &inner)
                SHA1_Update(&outer, bytes, 20)
                SHA1_Final(bytes, &outer)
                let result = (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4])
                OPENSSL_cleanse(&inner, MemoryLayout<SHA_CTX>.size)
                OPENSSL_cleanse(&outer, MemoryLayout<SHA_CTX>.size)
                return result
            }
        }
    }

    /// The BIN key identifier (byte 11's low nibble), which names the issuer's key.
    public static func keyIdentifier(_ value: AuthenticationValue) -> UInt8 { value[10] & 0x0F }

    /// Whether the AAV is of the HMAC kind this verifies: control byte 0x8C (authenticated) or 0x86
    /// (attempt), and an ACS identifier of 0 to 7 (8 to 15 are the CVC2 variant).
    public static func isHMACKind(_ value: AuthenticationValue) -> Bool {
        (value[0] == 0x8C || value[0] == 0x86) && value[9] < 8
    }

    /// The 5-byte MAC the AAV should end with: over the PAN in BCD, right-padded with F to 10 bytes, then
    /// the AAV's first 15 bytes.
    public static func mac(key: Key, pan: PAN, value: AuthenticationValue) -> [UInt8] {
        let mac = macBytes(key: key, pan: pan, value: value)
        return [mac.0, mac.1, mac.2, mac.3, mac.4]
    }

    static func macBytes(key: Key, pan: PAN, value: AuthenticationValue) -> (UInt8, UInt8, UInt8, UInt8, UInt8) {
        var data: (UInt64, UInt64, UInt64, UInt8) = (0, 0, 0, 0)  // 25 bytes
        return withUnsafeMutableBytes(of: &data) { data in
            for index in 0..<10 { data[index] = 0xFF }
            var digits = pan.value
            for position in stride(from: pan.length - 1, through: 0, by: -1) {
                let nibble = UInt8(truncatingIfNeeded: digits % 10)
                digits /= 10
                let byte = position / 2
                data[byte] = position % 2 == 0 ? (nibble << 4 | data[byte] & 0x0F) : (data[byte] & 0xF0 | nibble)
            }
            for index in 0..<15 { data[10 + index] = value[index] }
            return Key.mac(key.states, over: data.baseAddress!, count: 25)
        }
    }

    /// The first 8 bytes of SHA-1 over the merchant's name (UTF-8), as the AAV carries them.
    public static func merchantNameHash(_ name: String) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 20)
        var text = Array(name.utf8)
        SHA1(&text, text.count, &digest)
        return Array(digest[0..<8])
    }

    /// The HMAC AAV an ACS makes: control byte (0x8C authenticated, 0x86 attempted), the merchant name's
    /// hash, ACS identifier, authentication method and BIN key identifier, the sequence number (big-endian),
    /// then the MAC.
    public static func make(
        key: Key,
        pan: PAN,
        controlByte: UInt8,
        merchantName: String,
        acsIdentifier: UInt8,
        authenticationMethod: UInt8,
        keyID: UInt8,
        sequenceNumber: UInt32
    ) -> AuthenticationValue {
        var bytes = [controlByte] + merchantNameHash(merchantName)
        bytes.append(acsIdentifier)
        bytes.append(authenticationMethod << 4 | keyID & 0x0F)
        bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: sequenceNumber >> $0) }
        bytes += [0, 0, 0, 0, 0]
        let unsigned = AuthenticationValue(bytes: bytes)!
        let mac = macBytes(key: key, pan: pan, value: unsigned)
        bytes.replaceSubrange(15..<20, with: [mac.0, mac.1, mac.2, mac.3, mac.4])
        return AuthenticationValue(bytes: bytes)!
    }

    /// Whether the AAV's MAC is the card's under `key`, compared without an early exit.
    public static func verify(_ value: AuthenticationValue, key: Key, pan: PAN) -> Bool {
        let expected = macBytes(key: key, pan: pan, value: value)
        let difference =
            (expected.0 ^ value[15]) | (expected.1 ^ value[16]) | (expected.2 ^ value[17]) | (expected.3 ^ value[18])
            | (expected.4 ^ value[19])
        return difference == 0
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
