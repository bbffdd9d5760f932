import NIOCore

extension Frame {
    /// The tag of the field that holds a security code in a request with this frame's opcode, if any:
    /// `VALIDATE` csc, `CSC_VERIFY` csc.
    var securityCodeTag: UInt8? {
        switch Opcode(rawValue: opcode) {
        case .validate?: ValidateCodec.RequestTag.csc.rawValue
        case .cscVerify?: SecurityCodeCodec.RequestTag.csc.rawValue
        default: nil
        }
    }

    /// Overwrites with zeros, in the frame's own memory, every field that holds a security code, repeated
    /// ones included (this walk follows the headers only, not the duplicate rule). Bytes after a header
    /// that runs past the frame are left alone: they were never read as a field. The frame must not be
    /// used after.
    public func wipeSecurityCodes() {
        guard let secretTag = securityCodeTag else { return }
        fields.withUnsafeReadableBytes { raw in
            guard let base = raw.baseAddress else { return }
            // The frame's bytes belong to the connection's read buffer, which nothing else reads once the
            // frame is answered: writing them in place (no copy-on-write copy) is the point.
            let bytes = UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: raw.count)
            var offset = 0
            while offset + 3 <= bytes.count {
                let length = Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
                let range = offset + 3..<min(bytes.count, offset + 3 + length)
                if bytes[offset] == secretTag { SecretBytes.zero(UnsafeBufferPointer(rebasing: bytes[range])) }
                offset = range.upperBound
            }
        }
    }
}

/// Zeroing of secret bytes where they lie.
public enum SecretBytes {
    /// Overwrites a field's bytes with zeros in place (a frame's memory, read-only to the parser).
    @inline(__always)
    public static func zero(_ field: UnsafeBufferPointer<UInt8>?) {
        guard let field, let start = field.baseAddress, !field.isEmpty else { return }
        UnsafeMutableRawPointer(mutating: start).initializeMemory(as: UInt8.self, repeating: 0, count: field.count)
    }
}
