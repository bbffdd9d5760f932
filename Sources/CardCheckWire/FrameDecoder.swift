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
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard length <= maximumFrameSize else {
            throw FramingError.frameTooLarge(length: length, maximum: maximumFrameSize)
        }
        guard length >= WireFormat.headerSize else { throw FramingError.frameTooShort(length: length) }
        if buffer.readableBytes >= WireFormat.lengthPrefixSize + 1,
           let version = buffer.getInteger(at: buffer.readerIndex + WireFormat.lengthPrefixSize, as: UInt8.self),
           version & WireFormat.magicMask != WireFormat.magic {
            throw FramingError.badMagic(version)
        }
        guard buffer.readableBytes >= WireFormat.lengthPrefixSize + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: WireFormat.lengthPrefixSize)
        let version: UInt8 = buffer.readInteger()!
        let opcode: UInt8 = buffer.readInteger()!
        let flags: UInt16 = buffer.readInteger()!
        let requestID: UInt32 = buffer.readInteger()!
        let fields = buffer.readSlice(length: Int(length) - WireFormat.headerSize)!
        return Frame(version: version, opcode: opcode, flags: flags, requestID: requestID, fields: fields)
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

    public var wireError: WireError {
        switch self {
        case .frameTooLarge: WireError(kind: .frameTooLarge, code: "frame_too_large", message: description)
        case .frameTooShort, .badMagic: WireError(kind: .malformed, code: "malformed_stream", message: description)
        }
    }

    public var description: String {
        switch self {
        case let .frameTooLarge(length, maximum):
            "frame length \(length) exceeds the maximum of \(maximum) bytes"
        case let .frameTooShort(length):
            "frame length \(length) is shorter than the \(WireFormat.headerSize)-byte header"
        case let .badMagic(byte):
            "version byte 0x\(String(byte, radix: 16)) lacks the 0xC magic: not a cardcheck stream"
        }
    }
}
