import NIOCore

/// Splits a byte stream into frames. The length field is checked against the maximum **before** the
/// body is buffered: an oversized length is an error at once, with no allocation of that size. A wrong
/// magic is an error too (the stream is not this protocol); both lose the framing, so the connection
/// must be closed. Anything else about a frame is for the operation's decoder to judge.
public struct FrameDecoder: ByteToMessageDecoder, NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = Frame

    public let maximumFrameSize: Int

    public init(maximumFrameSize: Int = WireFormat.defaultMaximumFrameSize) {
        self.maximumFrameSize = maximumFrameSize
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> Frame? {
        // The length prefix and header are read in one look at the bytes: ByteBuffer's integer reads
        // check bounds and move indices one by one, and this runs once per request.
        guard let header = buffer.withUnsafeReadableBytes({ FrameHeader($0) }) else { return nil }
        guard header.length <= maximumFrameSize else {
            throw FramingError.frameTooLarge(length: header.length, maximum: maximumFrameSize)
        }
        guard header.length >= WireFormat.headerSize else { throw FramingError.frameTooShort(length: header.length) }
        if let version = header.version, version & WireFormat.magicMask != WireFormat.magic {
            throw FramingError.badMagic(version)
        }
        let frameSize = WireFormat.lengthPrefixSize + Int(header.length)
        guard buffer.readableBytes >= frameSize else { return nil }
        let fields = buffer.getSlice(
            at: buffer.readerIndex + WireFormat.lengthPrefixSize + WireFormat.headerSize,
            length: Int(header.length) - WireFormat.headerSize
        )!
        buffer.moveReaderIndex(forwardBy: frameSize)
        return Frame(
            version: header.version!,
            opcode: header.opcode,
            flags: header.flags,
            requestID: header.requestID,
            fields: fields
        )
    }

    /// What the first bytes of a frame say, as far as they have arrived: nil before the whole length
    /// prefix, no version before its byte, the rest read only once the whole header is there.
    private struct FrameHeader {
        var length: UInt32
        var version: UInt8?
        var opcode: UInt8 = 0
        var flags: UInt16 = 0
        var requestID: UInt32 = 0

        init?(_ bytes: UnsafeRawBufferPointer) {
            guard bytes.count >= WireFormat.lengthPrefixSize else { return nil }
            length = UInt32(bigEndian: bytes.loadUnaligned(as: UInt32.self))
            guard bytes.count > WireFormat.lengthPrefixSize else { return }
            version = bytes[4]
            guard bytes.count >= WireFormat.lengthPrefixSize + WireFormat.headerSize else { return }
            opcode = bytes[5]
            flags = UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
            requestID = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        }
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> Frame? {
        try decode(buffer: &buffer)
    }
}

/// The stream cannot be split into frames any more: the connection must be closed.
public enum FramingError: Error, Hashable, CustomStringConvertible {
    case frameTooLarge(length: UInt32, maximum: Int)
    case frameTooShort(length: UInt32)
    case badMagic(UInt8)
    /// A JSON Lines connection's line is longer than the maximum frame.
    case lineTooLong(maximum: Int)

    public var wireError: WireError {
        switch self {
        case .frameTooLarge: WireError(kind: .frameTooLarge, code: "frame_too_large", message: description)
        case .lineTooLong: WireError(kind: .frameTooLarge, code: "line_too_long", message: description)
        case .frameTooShort, .badMagic: WireError(kind: .malformed, code: "malformed_stream", message: description)
        }
    }

    public var description: String {
        switch self {
        case let .frameTooLarge(length, maximum):
            "frame length \(length) exceeds the maximum of \(maximum) bytes"
        case let .frameTooShort(length):
            "frame length \(length) is shorter than the \(WireFormat.headerSize)-byte header"
        case let .lineTooLong(maximum):
            "a line is longer than the maximum of \(maximum) bytes"
        case let .badMagic(byte):
            "version byte 0x\(String(byte, radix: 16)) lacks the 0xC magic: not a cardcheck stream"
        }
    }
}
