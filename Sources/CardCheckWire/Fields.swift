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

/// Writes fields straight into a buffer's memory: one capacity check for a whole response instead of
/// one per integer, no exclusivity check per byte. For the hot path (`VALIDATE` answers).
public struct FieldWriter {
    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline let capacity: Int
    @usableFromInline var count = 0

    @inlinable init(_ memory: UnsafeMutableRawBufferPointer) {
        base = memory.baseAddress!
        capacity = memory.count
    }

    @inlinable @inline(__always) mutating func header(_ tag: UInt8, _ length: Int) {
        precondition(count + 3 + length <= capacity, "FieldWriter: the response outgrew its reserved room")
        base.storeBytes(of: tag, toByteOffset: count, as: UInt8.self)
        base.storeBytes(of: UInt8(truncatingIfNeeded: length >> 8), toByteOffset: count + 1, as: UInt8.self)
        base.storeBytes(of: UInt8(truncatingIfNeeded: length), toByteOffset: count + 2, as: UInt8.self)
        count += 3
    }

    @inlinable @inline(__always) public mutating func byte(_ tag: UInt8, _ value: UInt8) {
        header(tag, 1)
        base.storeBytes(of: value, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    @inlinable @inline(__always) public mutating func bool(_ tag: UInt8, _ value: Bool) { byte(tag, value ? 1 : 0) }

    @inlinable @inline(__always) public mutating func integer(_ tag: UInt8, _ value: UInt64) {
        header(tag, 8)
        base.storeBytes(of: value.bigEndian, toByteOffset: count, as: UInt64.self)
        count += 8
    }

    /// A short text (a brand name): copied from its contiguous UTF-8, which literals and native strings have.
    @inlinable @inline(__always) public mutating func text(_ tag: UInt8, _ value: String) {
        let length = value.utf8.count
        header(tag, length)
        let copied: Void? = value.utf8.withContiguousStorageIfAvailable { bytes in
            (base + count).copyMemory(from: bytes.baseAddress!, byteCount: length)
        }
        if copied == nil {
            for (offset, byte) in value.utf8.enumerated() { base.storeBytes(of: byte, toByteOffset: count + offset, as: UInt8.self) }
        }
        count += length
    }

    /// A field whose value `body` writes at the pointer (at most `maximum` bytes), returning its length.
    @inlinable @inline(__always) public mutating func field(_ tag: UInt8, maximum: Int, _ body: (UnsafeMutableRawPointer) -> Int) {
        precondition(count + 3 + maximum <= capacity, "FieldWriter: the response outgrew its reserved room")
        let start = count
        count += 3
        let length = body(base + count)
        count = start
        header(tag, length)
        count += length
    }
}

extension ByteBuffer {
    /// Appends fields written by `body` into at most `maximum` bytes, reserved once.
    @inlinable public mutating func writeFields(maximum: Int, _ body: (inout FieldWriter) -> Void) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: maximum) { memory in
            var writer = FieldWriter(memory)
            body(&writer)
            return writer.count
        }
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
