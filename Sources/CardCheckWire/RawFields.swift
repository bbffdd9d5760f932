/// Walks a frame's fields (tag u8, length u16 big-endian, value) in place: no copy, no allocation.
enum RawFields {
    /// Calls `body` with each field. `body` returns whether it knows the tag (unknown tags are skipped);
    /// a known tag that comes twice is `duplicate_field`, named by `name`. A field that runs past the end
    /// is `malformed`.
    @inline(__always)
    static func forEach(
        in bytes: UnsafeBufferPointer<UInt8>, name: (UInt8) -> String,
        _ body: (UInt8, UnsafeBufferPointer<UInt8>) throws(WireError) -> Bool
    ) throws(WireError) {
        var offset = 0
        var seen: UInt64 = 0
        while offset < bytes.count {
            guard offset + 3 <= bytes.count else { throw WireError.malformed("a field header is cut short") }
            let tag = bytes[offset]
            let length = Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
            offset += 3
            guard offset + length <= bytes.count else {
                throw WireError.malformed("field 0x\(String(tag, radix: 16)) runs past the end of the frame")
            }
            let value = UnsafeBufferPointer(start: bytes.baseAddress! + offset, count: length)  // in bounds: checked above
            offset += length
            let bit = UInt64(1) << UInt64(tag & 63)
            let duplicate = seen & bit != 0
            guard try body(tag, value) else { continue }
            guard !duplicate else {
                throw WireError(kind: .invalidField, code: "duplicate_field", field: name(tag),
                                message: "field 0x\(String(tag, radix: 16)) appears twice")
            }
            seen |= bit
        }
    }
}
