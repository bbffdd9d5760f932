/// A primary account number: 12 to 19 digits, held as a number and a length so that it never allocates.
///
/// Its `description` is the masked form, so that string interpolation into a log line cannot leak it.
@frozen public struct PAN: Sendable, Hashable, CustomStringConvertible {
    public static let digitRange: ClosedRange<Int> = 12...19

    /// The digits as a number (leading zeros are kept by `length`).
    public let value: UInt64
    public let length: Int
    /// Whether the PAN passes the Luhn (Mod 10) check.
    public let luhnValid: Bool
    /// The first eight digits as a number: what brand ranges are matched against.
    public let prefix8: UInt32

    /// Parses digits with optional spaces or dashes between them. Anything else is an error, never stripped.
    public init(_ text: String) throws(ValidationError) {
        self = try text.withUTF8Bytes { bytes in PAN.parse(bytes) }.get()
    }

    /// Parses UTF-8 bytes as ``init(_:)`` does.
    @inlinable public init(utf8 bytes: UnsafeBufferPointer<UInt8>) throws(ValidationError) {
        self = try PAN.parse(bytes).get()
    }

    @usableFromInline init(value: UInt64, length: Int, luhnValid: Bool, prefix8: UInt32) {
        self.value = value
        self.length = length
        self.luhnValid = luhnValid
        self.prefix8 = prefix8
    }

    @inlinable static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<PAN, ValidationError> {
        if bytes.count == 16, let pan = parseSixteenDigits(UnsafeRawPointer(bytes.baseAddress!)) {
            return .success(pan)
        }
        var value: UInt64 = 0
        var prefix8: UInt32 = 0
        var luhn = Luhn.Accumulator()
        var length = 0
        var offset = 0
        while offset < bytes.count {
            let byte = bytes[offset]
            offset &+= 1
            let digit = byte &- 0x30
            if digit < 10 {
                if length < digitRange.upperBound {
                    value = value &* 10 &+ UInt64(digit)
                    luhn.append(digit)
                    if length == 7 { prefix8 = UInt32(truncatingIfNeeded: value) }
                }
                length &+= 1
            } else if byte != 0x20 && byte != 0x2D {  // space, dash
                return .failure(.panInvalidCharacter(position: offset))
            }
        }
        guard length > 0 else { return .failure(.panEmpty) }
        guard digitRange.contains(length) else { return .failure(.panLength(digits: length)) }
        return .success(PAN(value: value, length: length, luhnValid: luhn.isValid, prefix8: prefix8))
    }

    /// The common case, sixteen digits and no separators, eight digits at a time (SWAR): both halves are
    /// checked to be digits, turned into numbers and Luhn-summed with a few multiplications each.
    /// Returns `nil` when any byte is not a digit, for the general loop to handle and report.
    @inlinable @inline(__always) static func parseSixteenDigits(_ base: UnsafeRawPointer) -> PAN? {
        let first = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        let second = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        guard SWAR.areEightDigits(first), SWAR.areEightDigits(second) else { return nil }
        let firstDigits = first &- SWAR.zeros
        let secondDigits = second &- SWAR.zeros
        let high = SWAR.value(ofEightDigits: firstDigits)
        let low = SWAR.value(ofEightDigits: secondDigits)
        // With 16 digits, Luhn doubles the digits at even positions from the left: bytes 0, 2, 4, 6 of each half.
        let sum = SWAR.byteSum(
            SWAR.luhnLanes(ofEightDigits: firstDigits) &+ SWAR.luhnLanes(ofEightDigits: secondDigits)
        )
        return PAN(
            value: UInt64(high) &* 100_000_000 &+ UInt64(low),
            length: 16,
            luhnValid: sum % 10 == 0,
            prefix8: high
        )
    }

    /// The last four digits as a number.
    @inlinable public var last4: UInt16 { UInt16(truncatingIfNeeded: value % 10_000) }

    /// The PAN masked for display outside the request path: see ``MaskedPAN``.
    @inlinable public var masked: MaskedPAN { MaskedPAN(self) }

    /// The full digits. Only for the request path (for example a card security code computation).
    public var digits: String {
        let text = String(value)
        return String(repeating: "0", count: length - text.count) + text
    }

    public var description: String { masked.description }
}

/// Eight ASCII digits in a little-endian 64-bit word, first digit in the lowest byte.
@usableFromInline enum SWAR {
    @usableFromInline static let zeros: UInt64 = 0x3030_3030_3030_3030
    @usableFromInline static let highNibbles: UInt64 = 0xF0F0_F0F0_F0F0_F0F0

    /// Every byte is 0x30...0x39: its high nibble is 3, and adding 6 does not carry out of its low nibble.
    @inlinable static func areEightDigits(_ word: UInt64) -> Bool {
        word & highNibbles == zeros && (word &+ 0x0606_0606_0606_0606) & highNibbles == zeros
    }

    /// The number the eight digit values (0-9 per byte) spell, by pairs, quads, then the whole.
    @inlinable static func value(ofEightDigits digits: UInt64) -> UInt32 {
        var v = digits
        v = (v &* 10 &+ (v >> 8)) & 0x00FF_00FF_00FF_00FF
        v = (v &* 100 &+ (v >> 16)) & 0x0000_FFFF_0000_FFFF
        v = (v &* 10_000 &+ (v >> 32)) & 0x0000_0000_FFFF_FFFF
        return UInt32(truncatingIfNeeded: v)
    }

    /// The Luhn contributions of eight digit values, one per byte, with the even bytes (0, 2, 4, 6)
    /// doubled. Each byte is at most 9, so two halves' lanes can be added before ``byteSum(_:)``.
    @inlinable static func luhnLanes(ofEightDigits digits: UInt64) -> UInt64 {
        let doubledLanes = digits & 0x00FF_00FF_00FF_00FF
        let plainLanes = digits & 0xFF00_FF00_FF00_FF00
        // A doubled digit of 5 or more gives 2d - 9; d + 3 has bit 3 set exactly when d >= 5.
        let atLeastFive = ((doubledLanes &+ 0x0003_0003_0003_0003) >> 3) & 0x0001_0001_0001_0001
        return (doubledLanes &* 2 &- atLeastFive &* 9) &+ plainLanes
    }

    /// The sum of the eight bytes (at most 255 in total).
    @inlinable static func byteSum(_ lanes: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: (lanes &* 0x0101_0101_0101_0101) >> 56)
    }
}

/// A PAN as it may be shown anywhere outside the request path: at most the first six and the last four
/// digits, and always at least six digits hidden (a 16-digit PAN shows 6 + 4; a 12-digit PAN shows 2 + 4).
@frozen public struct MaskedPAN: Sendable, Hashable, CustomStringConvertible {
    public let leading: UInt32
    public let leadingCount: Int
    public let last4: UInt16
    public let length: Int

    public static let maximumLeading = 6
    public static let minimumHidden = 6
    /// 10^(8 - shown): what turns the first eight digits into the first `shown`.
    @usableFromInline static let divisors: [UInt32] = [100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1_000, 100]

    @inlinable public init(_ pan: PAN) {
        let shown = min(MaskedPAN.maximumLeading, pan.length - 4 - MaskedPAN.minimumHidden)
        leadingCount = shown
        leading = shown == MaskedPAN.maximumLeading ? pan.prefix8 / 100 : pan.prefix8 / MaskedPAN.divisors[shown]
        last4 = pan.last4
        length = pan.length
    }

    /// Reads the masked form back (as a client does from the wire): leading digits, asterisks, four
    /// digits, 12 to 19 characters, at most six leading digits.
    public init?(_ text: String) {
        let characters = Array(text.utf8)
        guard PAN.digitRange.contains(characters.count) else { return nil }
        let shown = characters.prefix(while: \.isASCIIDigit).count
        let stars = characters.dropFirst(shown).prefix(while: { $0 == UInt8(ascii: "*") }).count
        let tail = characters.dropFirst(shown + stars)
        guard shown <= MaskedPAN.maximumLeading, stars > 0, tail.count == 4, tail.allSatisfy(\.isASCIIDigit) else {
            return nil
        }
        leadingCount = shown
        leading = characters.prefix(shown).reduce(UInt32(0)) { $0 * 10 + UInt32($1 - 0x30) }
        last4 = tail.reduce(UInt16(0)) { $0 * 10 + UInt16($1 - 0x30) }
        length = characters.count
    }

    /// Writes the masked form as ASCII at `destination` (room for `length` bytes): no allocation, for
    /// the wire's hot path. Returns `length`.
    @inlinable public func writeASCII(to destination: UnsafeMutableRawPointer) -> Int {
        var value = leading
        var index = leadingCount - 1
        while index >= 0 {
            destination.storeBytes(
                of: UInt8(truncatingIfNeeded: value % 10) &+ 0x30,
                toByteOffset: index,
                as: UInt8.self
            )
            value /= 10
            index -= 1
        }
        (destination + leadingCount).initializeMemory(
            as: UInt8.self,
            repeating: UInt8(ascii: "*"),
            count: length - 4 - leadingCount
        )
        let tail = UInt32(last4)
        let end = destination + (length - 4)
        end.storeBytes(of: UInt8(truncatingIfNeeded: tail / 1000) &+ 0x30, as: UInt8.self)
        end.storeBytes(of: UInt8(truncatingIfNeeded: tail / 100 % 10) &+ 0x30, toByteOffset: 1, as: UInt8.self)
        end.storeBytes(of: UInt8(truncatingIfNeeded: tail / 10 % 10) &+ 0x30, toByteOffset: 2, as: UInt8.self)
        end.storeBytes(of: UInt8(truncatingIfNeeded: tail % 10) &+ 0x30, toByteOffset: 3, as: UInt8.self)
        return length
    }

    /// For example `411111******1111`.
    public var description: String {
        var text = ""
        text.reserveCapacity(length)
        text += MaskedPAN.zeroPadded(UInt64(leading), width: leadingCount)
        text += String(repeating: "*", count: length - leadingCount - 4)
        text += MaskedPAN.zeroPadded(UInt64(last4), width: 4)
        return text
    }

    static func zeroPadded(_ value: UInt64, width: Int) -> String {
        guard width > 0 else { return "" }
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
