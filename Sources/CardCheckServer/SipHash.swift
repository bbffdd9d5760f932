/// SipHash-2-4 (Aumasson and Bernstein), the keyed hash that names a card in the velocity tables: without
/// the key, drawn from the kernel at start and never written anywhere, a table's contents say nothing
/// about which cards they count.
struct SipHash24: Sendable {
    let k0: UInt64
    let k1: UInt64

    init(k0: UInt64, k1: UInt64) {
        self.k0 = k0
        self.k1 = k1
    }

    /// A key from the kernel (getrandom, through Swift's system generator).
    static func random() -> SipHash24 {
        var generator = SystemRandomNumberGenerator()
        return SipHash24(k0: generator.next(), k1: generator.next())
    }

    @inline(__always)
    private static func round(_ v: inout (UInt64, UInt64, UInt64, UInt64)) {
        v.0 &+= v.1
        v.1 = v.1.rotatedLeft(13) ^ v.0
        v.0 = v.0.rotatedLeft(32)
        v.2 &+= v.3
        v.3 = v.3.rotatedLeft(16) ^ v.2
        v.0 &+= v.3
        v.3 = v.3.rotatedLeft(21) ^ v.0
        v.2 &+= v.1
        v.1 = v.1.rotatedLeft(17) ^ v.2
        v.2 = v.2.rotatedLeft(32)
    }

    private var initialState: (UInt64, UInt64, UInt64, UInt64) {
        (k0 ^ 0x736f_6d65_7073_6575, k1 ^ 0x646f_7261_6e64_6f6d, k0 ^ 0x6c79_6765_6e65_7261, k1 ^ 0x7465_6462_7974_6573)
    }

    /// The hash of any bytes: the reference algorithm, which the tests hold to the paper's vectors and the
    /// two-word fast path to.
    func hash(_ bytes: [UInt8]) -> UInt64 {
        var v = initialState
        let whole = bytes.count / 8 * 8
        for start in stride(from: 0, to: whole, by: 8) {
            var m: UInt64 = 0
            for index in 0..<8 { m |= UInt64(bytes[start + index]) << (8 * UInt64(index)) }
            absorb(m, into: &v)
        }
        var last = UInt64(truncatingIfNeeded: bytes.count) << 56
        for index in whole..<bytes.count { last |= UInt64(bytes[index]) << (8 * UInt64(index - whole)) }
        absorb(last, into: &v)
        return finish(&v)
    }

    /// The hash of two little-endian words (16 bytes): what a card's number and length are hashed as.
    @inline(__always)
    func hash(_ first: UInt64, _ second: UInt64) -> UInt64 {
        var v = initialState
        absorb(first, into: &v)
        absorb(second, into: &v)
        absorb(16 << 56, into: &v)
        return finish(&v)
    }

    @inline(__always)
    private func absorb(_ m: UInt64, into v: inout (UInt64, UInt64, UInt64, UInt64)) {
        v.3 ^= m
        Self.round(&v)
        Self.round(&v)
        v.0 ^= m
    }

    @inline(__always)
    private func finish(_ v: inout (UInt64, UInt64, UInt64, UInt64)) -> UInt64 {
        v.2 ^= 0xFF
        for _ in 0..<4 { Self.round(&v) }
        return v.0 ^ v.1 ^ v.2 ^ v.3
    }
}

extension UInt64 {
    @inline(__always) fileprivate func rotatedLeft(_ count: UInt64) -> UInt64 { self << count | self >> (64 - count) }
}
