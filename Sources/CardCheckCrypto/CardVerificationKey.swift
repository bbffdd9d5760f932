import CSystemCrypto

/// An issuer's card verification key pair (CVK A ‖ B, double-length TDES), held only as OpenSSL key
/// schedules in memory of its own that is wiped when the key goes away. The key itself is never
/// printed: `checkValue` (KCV) names it everywhere.
public final class CardVerificationKey: @unchecked Sendable {
    // @unchecked: the schedules are written once in init and only read (by OpenSSL) afterwards; reading
    // a DES_key_schedule from several threads at once is safe.
    private let schedules: UnsafeMutablePointer<DES_key_schedule>  // [A, B]
    /// The key check value: the first 6 hex digits of 8 zero bytes encrypted under the key.
    public let checkValue: String

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case notHex
        case wrongLength(Int)
        /// A DES key byte without odd parity; the KCV tells which key without revealing it.
        case parity(kcv: String)

        public var description: String {
            switch self {
            case .notHex: "a card verification key is hex digits only"
            case .wrongLength(let count): "a card verification key is 32 hex digits (double-length TDES), not \(count)"
            case .parity(let kcv): "the key with KCV \(kcv) does not have odd parity in every byte"
            }
        }
    }

    /// `hex`: 32 hex digits, CVK A then CVK B. With `requireOddParity`, a key whose bytes do not all have
    /// odd parity (a mistyped key, usually) is refused.
    public init(hex: some StringProtocol, requireOddParity: Bool = true) throws(Problem) {
        var bytes = [UInt8](repeating: 0, count: 16)
        defer { OPENSSL_cleanse(&bytes, bytes.count) }
        var digits = Array(hex.utf8)
        defer { SecretText.wipe(&digits) }
        guard digits.count == 32 else { throw .wrongLength(digits.count) }
        for index in 0..<16 {
            guard let high = Self.nibble(digits[2 * index]), let low = Self.nibble(digits[2 * index + 1]) else {
                throw .notHex
            }
            bytes[index] = high << 4 | low
        }
        let schedules = UnsafeMutablePointer<DES_key_schedule>.allocate(capacity: 2)
        self.schedules = schedules
        bytes.withUnsafeMutableBufferPointer { key in
            let raw = UnsafeMutableRawPointer(key.baseAddress!)
            DES_set_key_unchecked(raw.assumingMemoryBound(to: const_DES_cblock.self), schedules)
            DES_set_key_unchecked((raw + 8).assumingMemoryBound(to: const_DES_cblock.self), schedules + 1)
        }
        var zeros: (UInt64, UInt64) = (0, 0)
        let check = Self.encryptTripleDES(&zeros.0, schedules)
        checkValue = String(Self.hex(check).prefix(6))
        // Thrown after full initialisation: deinit still wipes the schedules.
        if requireOddParity && !bytes.allSatisfy({ $0.nonzeroBitCount % 2 == 1 }) {
            throw .parity(kcv: checkValue)
        }
    }

    deinit { wipe() }

    private func wipe() {
        OPENSSL_cleanse(schedules, 2 * MemoryLayout<DES_key_schedule>.stride)
        schedules.deallocate()
    }

    /// R = TDES-EDE_{A,B}(DES_A(block1) xor block2), as 8 big-endian bytes in a UInt64 (the CVV core).
    @inline(__always)
    func cvvCore(_ block1: UInt64, _ block2: UInt64) -> UInt64 {
        var data = block1.bigEndian
        withUnsafeMutablePointer(to: &data) { pointer in
            pointer.withMemoryRebound(to: DES_cblock.self, capacity: 1) { block in
                DES_ecb_encrypt(block, block, schedules, DES_ENCRYPT)
            }
        }
        data ^= block2.bigEndian
        return UInt64(bigEndian: Self.encryptTripleDES(&data, schedules))
    }

    @inline(__always)
    private static func encryptTripleDES(
        _ data: inout UInt64,
        _ schedules: UnsafeMutablePointer<DES_key_schedule>
    ) -> UInt64 {
        withUnsafeMutablePointer(to: &data) { pointer in
            pointer.withMemoryRebound(to: DES_cblock.self, capacity: 1) { block in
                DES_ecb3_encrypt(block, block, schedules, schedules + 1, schedules, DES_ENCRYPT)
            }
        }
        return data
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    /// Hex digits of 8 bytes in memory order.
    static func hex(_ value: UInt64) -> String {
        withUnsafeBytes(of: value) { bytes in
            bytes.map { byte in
                let text = String(byte, radix: 16, uppercase: true)
                return byte < 16 ? "0" + text : text
            }.joined()
        }
    }
}
