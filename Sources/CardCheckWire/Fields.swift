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
///
/// Offsets and lengths add with wrapping arithmetic: each is at most the reserved room (a buffer's size), far
/// from overflowing, and the overflow checks were a compare and a branch per addition on every answer.
public struct FieldWriter {
    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline let capacity: Int
    @usableFromInline var count = 0

    @inlinable init(_ memory: UnsafeMutableRawBufferPointer) {
        base = memory.baseAddress!
        capacity = memory.count
    }

    @inlinable @inline(__always) mutating func header(_ tag: UInt8, _ length: Int) {
        precondition(count &+ 3 &+ length <= capacity, "FieldWriter: the response outgrew its reserved room")
        base.storeBytes(of: tag, toByteOffset: count, as: UInt8.self)
        base.storeBytes(of: UInt8(truncatingIfNeeded: length >> 8), toByteOffset: count &+ 1, as: UInt8.self)
        base.storeBytes(of: UInt8(truncatingIfNeeded: length), toByteOffset: count &+ 2, as: UInt8.self)
        count &+= 3
    }

    @inlinable @inline(__always) public mutating func byte(_ tag: UInt8, _ value: UInt8) {
        header(tag, 1)
        base.storeBytes(of: value, toByteOffset: count, as: UInt8.self)
        count &+= 1
    }

    @inlinable @inline(__always) public mutating func bool(_ tag: UInt8, _ value: Bool) { byte(tag, value ? 1 : 0) }

    @inlinable @inline(__always) public mutating func integer(_ tag: UInt8, _ value: UInt64) {
        header(tag, 8)
        base.storeBytes(of: value.bigEndian, toByteOffset: count, as: UInt64.self)
        count &+= 8
    }

    /// A field of bytes that live elsewhere (the card data registry's texts, kept as UTF-8). memmove: for
    /// texts of 5 to 40 bytes glibc's copies in about 13 instructions, where a loop of 16-byte copies over
    /// padded texts took 28 (scripts/profile-daemon).
    @inlinable @inline(__always) public mutating func bytes(_ tag: UInt8, _ value: UnsafeBufferPointer<UInt8>) {
        header(tag, value.count)
        if let source = value.baseAddress { (base + count).copyMemory(from: source, byteCount: value.count) }
        count &+= value.count
    }

    /// Fields laid out elsewhere (a card's text block, `CardAttributes.textBlockUTF8`), each a one-byte
    /// kind, a two-byte big-endian length and the value: copied whole, then each kind replaced by `tag(kind)`.
    @inlinable @inline(__always) public mutating func fieldBlock(
        _ block: UnsafeBufferPointer<UInt8>,
        tag: (UInt8) -> UInt8
    ) {
        guard let source = block.baseAddress, block.count > 0 else { return }
        precondition(count &+ block.count <= capacity, "FieldWriter: the response outgrew its reserved room")
        let start = base + count
        start.copyMemory(from: source, byteCount: block.count)
        var offset = 0
        while offset < block.count {
            let length = Int(source[offset &+ 1]) << 8 | Int(source[offset &+ 2])
            start.storeBytes(of: tag(source[offset]), toByteOffset: offset, as: UInt8.self)
            offset &+= 3 &+ length
        }
        count &+= block.count
    }

    /// A field whose value `body` writes at the pointer (at most `maximum` bytes), returning its length.
    @inlinable @inline(__always) public mutating func field(
        _ tag: UInt8,
        maximum: Int,
        _ body: (UnsafeMutableRawPointer) -> Int
    ) {
        precondition(count &+ 3 &+ maximum <= capacity, "FieldWriter: the response outgrew its reserved room")
        let start = count
        count &+= 3
        let length = body(base + count)
        count = start
        header(tag, length)
        count &+= length
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

    public func integer<Integer: FixedWidthInteger>(
        named name: String,
        as: Integer.Type = Integer.self
    ) throws(WireError) -> Integer {
        guard bytes.readableBytes == Integer.bitWidth / 8,
            let value = bytes.getInteger(at: bytes.readerIndex, as: Integer.self)
        else { throw WireError.invalid(name, "\(name) must be \(Integer.bitWidth / 8) bytes") }
        return value
    }
}

/// Iterates the TLV fields of a frame as `ByteBuffer` slices, by the rule of ``FieldCursor``. `names`
/// gives a tag's wire name for errors (`postal_code`); nil for a tag the reader does not know.
public struct FieldReader {
    var buffer: ByteBuffer
    var cursor = FieldCursor()
    let names: (UInt8) -> String?

    public init(_ fields: ByteBuffer, names: @escaping (UInt8) -> String? = { _ in nil }) {
        buffer = fields
        self.names = names
    }

    public mutating func next() throws(WireError) -> (tag: UInt8, value: FieldValue)? {
        var cursor = self.cursor
        let names = self.names
        let found: Result<(tag: UInt8, range: Range<Int>)?, WireError> = buffer.withUnsafeReadableBytes { bytes in
            Result { () throws(WireError) in try cursor.next(in: bytes, names: names) }
        }
        self.cursor = cursor
        guard let (tag, range) = try found.get() else { return nil }
        // In bounds: the cursor checked the range against the frame.
        let value = buffer.getSlice(at: buffer.readerIndex + range.lowerBound, length: range.count)!
        return (tag, FieldValue(bytes: value))
    }
}
