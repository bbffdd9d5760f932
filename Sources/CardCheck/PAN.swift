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

    /// Parses digits with optional spaces or dashes between them. Anything else is an error, never stripped.
    public init(_ text: String) throws(ValidationError) {
        self = try text.withUTF8Bytes { bytes in PAN.parse(bytes) }.get()
    }

    /// Parses UTF-8 bytes as ``init(_:)`` does.
    public init(utf8 bytes: UnsafeBufferPointer<UInt8>) throws(ValidationError) {
        self = try PAN.parse(bytes).get()
    }

    @usableFromInline init(value: UInt64, length: Int, luhnValid: Bool) {
        self.value = value
        self.length = length
        self.luhnValid = luhnValid
    }

    @inlinable static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<PAN, ValidationError> {
        var value: UInt64 = 0
        var luhn = Luhn.Accumulator()
        var length = 0
        for (offset, byte) in bytes.enumerated() {
            let digit = byte &- 0x30
            if digit < 10 {
                length &+= 1
                if length <= digitRange.upperBound {
                    value = value &* 10 &+ UInt64(digit)
                    luhn.append(digit)
                }
            } else if byte != 0x20 && byte != 0x2D {  // space, dash
                return .failure(.panInvalidCharacter(position: offset + 1))
            }
        }
        guard length > 0 else { return .failure(.panEmpty) }
        guard digitRange.contains(length) else { return .failure(.panLength(digits: length)) }
        return .success(PAN(value: value, length: length, luhnValid: luhn.isValid))
    }

    /// The first eight digits as a number: what brand ranges are matched against.
    @inlinable public var prefix8: UInt32 {
        UInt32(truncatingIfNeeded: value / PAN.powersOfTen[length - 8])
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

    @usableFromInline static let powersOfTen: [UInt64] = (0...19).map { exponent in
        (0..<exponent).reduce(UInt64(1)) { power, _ in power * 10 }
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

    @inlinable public init(_ pan: PAN) {
        let shown = min(MaskedPAN.maximumLeading, pan.length - 4 - MaskedPAN.minimumHidden)
        leadingCount = shown
        leading = UInt32(truncatingIfNeeded: pan.value / PAN.powersOfTen[pan.length - shown])
        last4 = pan.last4
        length = pan.length
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
