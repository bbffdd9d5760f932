import NIOCore

/// One frame: the header's fields and the TLV fields that follow it.
public struct Frame: Sendable, Hashable {
    public var version: UInt8
    public var opcode: UInt8
    public var flags: UInt16
    public var requestID: UInt32
    /// The TLV fields.
    public var fields: ByteBuffer

    public init(
        version: UInt8 = WireFormat.versionByte,
        opcode: UInt8,
        flags: UInt16 = 0,
        requestID: UInt32,
        fields: ByteBuffer
    ) {
        self.version = version
        self.opcode = opcode
        self.flags = flags
        self.requestID = requestID
        self.fields = fields
    }
}

extension ByteBuffer {
    /// Appends `frame` with its length prefix.
    public mutating func writeFrame(_ frame: Frame) {
        writeInteger(UInt32(WireFormat.headerSize + frame.fields.readableBytes))
        writeInteger(frame.version)
        writeInteger(frame.opcode)
        writeInteger(frame.flags)
        writeInteger(frame.requestID)
        writeImmutableBuffer(frame.fields)
    }

    /// Appends a frame whose fields `body` writes in place, patching the length afterwards, so that a
    /// response needs no intermediate buffer.
    public mutating func writeFrame(
        opcode: UInt8,
        flags: UInt16 = 0,
        requestID: UInt32,
        fields body: (inout ByteBuffer) -> Void
    ) {
        let lengthIndex = writerIndex
        // The header in one reserved stretch (length patched below).
        writeWithUnsafeMutableBytes(minimumWritableBytes: WireFormat.lengthPrefixSize + WireFormat.headerSize) {
            memory in
            let base = memory.baseAddress!
            base.storeBytes(of: UInt32(0), as: UInt32.self)
            base.storeBytes(of: WireFormat.versionByte, toByteOffset: 4, as: UInt8.self)
            base.storeBytes(of: opcode, toByteOffset: 5, as: UInt8.self)
            base.storeBytes(of: flags.bigEndian, toByteOffset: 6, as: UInt16.self)
            base.storeBytes(of: requestID.bigEndian, toByteOffset: 8, as: UInt32.self)
            return WireFormat.lengthPrefixSize + WireFormat.headerSize
        }
        body(&self)
        setInteger(UInt32(writerIndex - lengthIndex - WireFormat.lengthPrefixSize), at: lengthIndex)
    }
}
