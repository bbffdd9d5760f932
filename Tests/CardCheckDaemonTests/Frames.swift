import CardCheckWire
import NIOCore

/// Encodes one request frame as bytes.
func requestBytes(
    _ opcode: UInt8,
    id: UInt32,
    flags: UInt16 = 0,
    version: UInt8 = WireFormat.versionByte,
    fields: (inout ByteBuffer) -> Void = { _ in }
) -> [UInt8] {
    var body = ByteBuffer()
    fields(&body)
    var buffer = ByteBuffer()
    buffer.writeFrame(Frame(version: version, opcode: opcode, flags: flags, requestID: id, fields: body))
    return Array(buffer.readableBytesView)
}

/// Splits received bytes into frames (the real decoder).
func frames(in bytes: [UInt8]) throws -> [Frame] {
    var decoder = FrameDecoder(maximumFrameSize: 1 << 20)
    var input = ByteBuffer(bytes: bytes)
    var frames: [Frame] = []
    while let frame = try decoder.decode(buffer: &input) { frames.append(frame) }
    return frames
}

func errorKind(_ frame: Frame?) -> WireError.Kind? {
    guard let frame, frame.opcode == WireFormat.errorOpcode else { return nil }
    return try? WireError(fields: frame.fields).kind
}
