import NIOCore

extension ByteBuffer {
    /// Appends one tag-length-value field.
    public mutating func writeField(_ tag: UInt8, bytes: some Collection<UInt8>) {
        writeInteger(tag)
        writeInteger(UInt16(bytes.count))
        writeBytes(bytes)
    }

    public mutating func writeField(_ tag: UInt8, text: String) {
        writeInteger(tag)
        let lengthIndex = writerIndex
        writeInteger(UInt16(0))
        let written = writeString(text)
        setInteger(UInt16(written), at: lengthIndex)
    }

    public mutating func writeField(_ tag: UInt8, byte: UInt8) {
        writeInteger(tag)
        writeInteger(UInt16(1))
        writeInteger(byte)
    }

    public mutating func writeField(_ tag: UInt8, bool: Bool) {
        writeField(tag, byte: bool ? 1 : 0)
    }

    public mutating func writeField<Integer: FixedWidthInteger>(_ tag: UInt8, integer: Integer) {
        writeInteger(tag)
        writeInteger(UInt16(Integer.bitWidth / 8))
        writeInteger(integer)
    }
}

/// One field's value, read from a frame.
public struct FieldValue {
    public var bytes: ByteBuffer

    public var text: String { String(buffer: bytes) }

    public func byte(named name: String) throws(WireError) -> UInt8 {
        guard bytes.readableBytes == 1, let value = bytes.getInteger(at: bytes.readerIndex, as: UInt8.self) else {
            throw WireError.invalid(name, "\(name) must be one byte")
        }
        return value
    }

    /// A one-byte code read through `decode` (an enum's raw value or letter); unknown codes are
    /// `invalid_field`.
    public func code<Value>(named name: String, _ decode: (UInt8) -> Value?) throws(WireError) -> Value {
        guard let value = decode(try byte(named: name)) else { throw WireError.invalid(name, "unknown \(name)") }
        return value
    }

    public func bool(named name: String) throws(WireError) -> Bool {
        switch try byte(named: name) {
        case 0: return false
        case 1: return true
        default: throw WireError.invalid(name, "\(name) must be 0 or 1")
        }
    }

    public func integer<Integer: FixedWidthInteger>(named name: String, as: Integer.Type = Integer.self) throws(WireError) -> Integer {
        guard bytes.readableBytes == Integer.bitWidth / 8,
              let value = bytes.getInteger(at: bytes.readerIndex, as: Integer.self)
        else { throw WireError.invalid(name, "\(name) must be \(Integer.bitWidth / 8) bytes") }
        return value
    }
}

/// Iterates the TLV fields of a frame. Unknown tags are the caller's to skip; a tag seen twice is
/// `invalid_field`; a field that runs past the frame is `malformed`.
public struct FieldReader {
    var buffer: ByteBuffer
    var seen: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    public init(_ fields: ByteBuffer) { buffer = fields }

    public mutating func next() throws(WireError) -> (tag: UInt8, value: FieldValue)? {
        guard buffer.readableBytes > 0 else { return nil }
        guard let tag: UInt8 = buffer.readInteger(), let length: UInt16 = buffer.readInteger() else {
            throw WireError.malformed("a field header is cut short")
        }
        guard let value = buffer.readSlice(length: Int(length)) else {
            throw WireError.malformed("field 0x\(String(tag, radix: 16)) runs past the end of the frame")
        }
        guard markSeen(tag) else {
            throw WireError(kind: .invalidField, code: "duplicate_field",
                            message: "field 0x\(String(tag, radix: 16)) appears twice")
        }
        return (tag, FieldValue(bytes: value))
    }

    private mutating func markSeen(_ tag: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(tag & 63)
        switch tag >> 6 {
        case 0: if seen.0 & bit != 0 { return false }; seen.0 |= bit
        case 1: if seen.1 & bit != 0 { return false }; seen.1 |= bit
        case 2: if seen.2 & bit != 0 { return false }; seen.2 |= bit
        default: if seen.3 & bit != 0 { return false }; seen.3 |= bit
        }
        return true
    }
}
