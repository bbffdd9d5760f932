/// The one rule for reading a frame's fields (tag u8, length u16 big-endian, value), which every reader
/// follows (``FieldReader`` on a `ByteBuffer`, ``RawFields`` in place):
/// - a field whose header or value runs past the end of the frame is `malformed`;
/// - any tag that appears twice, known to the reader or not, is `invalid_field` / `duplicate_field`,
///   naming the field by its wire name when the reader knows it;
/// - otherwise the caller skips the tags it does not know (new optional fields stay compatible).
///
/// Inlinable, so that a request's parser in another module (the server's responder) is specialised
/// with it: the field walk is on every request's path.
public struct FieldCursor: Sendable {
    /// Where the next field starts.
    @usableFromInline var offset = 0
    /// One bit per tag value seen: all 256 of them, so no two tags share a bit.
    @usableFromInline var seen: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    @inlinable public init() {}

    /// The next field of `bytes` (the frame's fields, from their start each time): its tag and where its
    /// value lies. Nil at the end.
    @inlinable @inline(__always)
    public mutating func next(
        in bytes: UnsafeRawBufferPointer,
        names: (UInt8) -> String?
    ) throws(WireError)
        -> (tag: UInt8, range: Range<Int>)?
    {
        guard offset < bytes.count else { return nil }
        guard offset + 3 <= bytes.count else { throw WireError.malformed("a field header is cut short") }
        let tag = bytes[offset]
        let length = Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
        let start = offset + 3
        guard start + length <= bytes.count else {
            throw WireError.malformed("field 0x\(String(tag, radix: 16)) runs past the end of the frame")
        }
        guard insert(tag) else {
            throw WireError(
                kind: .invalidField,
                code: "duplicate_field",
                field: names(tag),
                message: "field 0x\(String(tag, radix: 16)) appears twice"
            )
        }
        offset = start + length
        return (tag, start..<offset)
    }

    /// Marks `tag` seen; false if it was already.
    @inlinable @inline(__always)
    mutating func insert(_ tag: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(tag & 63)
        switch tag >> 6 {
        case 0:
            if seen.0 & bit != 0 { return false }
            seen.0 |= bit
        case 1:
            if seen.1 & bit != 0 { return false }
            seen.1 |= bit
        case 2:
            if seen.2 & bit != 0 { return false }
            seen.2 |= bit
        default:
            if seen.3 & bit != 0 { return false }
            seen.3 |= bit
        }
        return true
    }
}

/// Walks a frame's fields in place by the rule of ``FieldCursor``: no copy, no allocation. A loop over
/// `next()` rather than a walk that takes a closure: the closure stayed a call per field on the request
/// path (about 15 instructions each, scripts/profile-daemon).
@usableFromInline
struct RawFields {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline var cursor = FieldCursor()

    @inlinable init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = UnsafeRawBufferPointer(bytes) }

    /// The next field's tag and value; nil at the end. `names` names a duplicated field in the error (taken
    /// here, not stored: a stored closure is called through a context, 100 instructions a request).
    @inlinable @inline(__always)
    mutating func next(names: (UInt8) -> String?) throws(WireError) -> (tag: UInt8, value: UnsafeBufferPointer<UInt8>)?
    {
        guard let (tag, range) = try cursor.next(in: bytes, names: names) else { return nil }
        // In bounds: the cursor checked the range against the frame. The memory is the caller's bytes,
        // already bound to UInt8.
        let start = (bytes.baseAddress! + range.lowerBound).assumingMemoryBound(to: UInt8.self)
        return (tag, UnsafeBufferPointer(start: start, count: range.count))
    }
}
