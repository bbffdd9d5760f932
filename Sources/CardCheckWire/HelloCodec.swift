import NIOCore

/// `HELLO`: the client says who it is and the highest version it speaks; the server answers with its
/// name, version and limits.
public struct HelloRequest: Sendable, Hashable {
    public var clientName: String?
    public var highestVersion: UInt8?

    public init(clientName: String? = nil, highestVersion: UInt8? = WireFormat.protocolVersion) {
        self.clientName = clientName
        self.highestVersion = highestVersion
    }

    public func write(to buffer: inout ByteBuffer) {
        if let clientName { buffer.writeField(0x01, text: clientName) }
        if let highestVersion { buffer.writeField(0x02, byte: highestVersion) }
    }

    public init(fields: ByteBuffer) throws(WireError) {
        var reader = FieldReader(fields)
        while let (tag, value) = try reader.next() {
            switch tag {
            case 0x01: clientName = value.text
            case 0x02: highestVersion = try value.byte(named: "highest_version")
            default: break
            }
        }
    }
}

public struct HelloResponse: Sendable, Hashable {
    public var serverName: String
    public var serverVersion: String
    public var protocolVersion: UInt8
    public var maximumFrameSize: UInt32
    public var maximumInFlight: UInt32

    public init(
        serverName: String,
        serverVersion: String,
        protocolVersion: UInt8 = WireFormat.protocolVersion,
        maximumFrameSize: UInt32,
        maximumInFlight: UInt32
    ) {
        self.serverName = serverName
        self.serverVersion = serverVersion
        self.protocolVersion = protocolVersion
        self.maximumFrameSize = maximumFrameSize
        self.maximumInFlight = maximumInFlight
    }

    public func write(to buffer: inout ByteBuffer) {
        buffer.writeField(0x01, text: serverName)
        buffer.writeField(0x02, text: serverVersion)
        buffer.writeField(0x03, byte: protocolVersion)
        buffer.writeField(0x04, integer: maximumFrameSize)
        buffer.writeField(0x05, integer: maximumInFlight)
    }

    public init(fields: ByteBuffer) throws(WireError) {
        var name: String?
        var version: String?
        var protocolVersion: UInt8?
        var frame: UInt32?
        var inFlight: UInt32?
        var reader = FieldReader(fields)
        while let (tag, value) = try reader.next() {
            switch tag {
            case 0x01: name = value.text
            case 0x02: version = value.text
            case 0x03: protocolVersion = try value.byte(named: "protocol_version")
            case 0x04: frame = try value.integer(named: "max_frame")
            case 0x05: inFlight = try value.integer(named: "max_in_flight")
            default: break
            }
        }
        guard let name, let version, let protocolVersion, let frame, let inFlight else {
            throw WireError(kind: .missingField, message: "HELLO response incomplete")
        }
        self.init(
            serverName: name,
            serverVersion: version,
            protocolVersion: protocolVersion,
            maximumFrameSize: frame,
            maximumInFlight: inFlight
        )
    }
}
