import CardCheckWire
import NIOCore

/// Splits a connection's bytes into requests, in the format its first byte chose (``Format/chosen(by:)``,
/// applied once by ``ConnectionStateMachine``): `{` starts a JSON Lines connection (one request object
/// per line, Protocol/JSONLINES.md), anything else the binary protocol (Protocol/PROTOCOL.md). A JSON line travels as a ``Frame`` whose version is
/// ``Frame/jsonLineVersion`` (never a binary version: those carry the `0xC` magic) and whose fields are the
/// line's bytes, so batching, back-pressure, drain and the counters are the same for both.
struct ConnectionDecoder: NIOSingleStepByteToMessageDecoder {
    typealias InboundOut = Frame

    enum Format: Equatable {
        case binary
        case jsonLines

        /// The format a connection whose first byte is `first` speaks for the rest of its life.
        static func chosen(by first: UInt8) -> Format { first == UInt8(ascii: "{") ? .jsonLines : .binary }
    }

    let format: Format
    private var frames: FrameDecoder
    /// The longest line, newline excluded: the binary protocol's maximum frame.
    let maximumLineLength: Int

    init(_ format: Format, maximumFrameSize: Int) {
        self.format = format
        frames = FrameDecoder(maximumFrameSize: maximumFrameSize)
        maximumLineLength = maximumFrameSize
    }

    mutating func decode(buffer: inout ByteBuffer) throws -> Frame? {
        guard format == .jsonLines else { return try frames.decode(buffer: &buffer) }
        let bytes = buffer.readableBytesView
        guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else {
            // No end yet: a line past the maximum is refused as soon as it is, not once it ends.
            if bytes.count > maximumLineLength { throw FramingError.lineTooLong(maximum: maximumLineLength) }
            return nil
        }
        var length = newline - bytes.startIndex
        guard length <= maximumLineLength else { throw FramingError.lineTooLong(maximum: maximumLineLength) }
        // "\r\n" ends a line too, as `readLine` reads it for `cardcheck validate`.
        if length > 0 && bytes[newline - 1] == UInt8(ascii: "\r") { length -= 1 }
        let line = buffer.getSlice(at: buffer.readerIndex, length: length)!  // in bounds: found above
        buffer.moveReaderIndex(forwardBy: newline - bytes.startIndex + 1)
        return Frame(version: Frame.jsonLineVersion, opcode: Opcode.validate.rawValue, requestID: 0, fields: line)
    }

    mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> Frame? {
        try decode(buffer: &buffer)
    }
}

extension Frame {
    /// The version byte of a frame that carries a JSON Lines request: no binary frame has it.
    static let jsonLineVersion: UInt8 = 0x00

    var isJSONLine: Bool { version == Frame.jsonLineVersion }
}
