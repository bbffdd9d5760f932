/// Constants of wire protocol version 1 (Protocol/PROTOCOL.md).
public enum WireFormat {
    /// Magic nibble 0xC, version 1.
    public static let versionByte: UInt8 = 0xC1
    public static let magicMask: UInt8 = 0xF0
    public static let magic: UInt8 = 0xC0
    public static let protocolVersion: UInt8 = 1
    /// version, opcode, flags, request id.
    public static let headerSize = 8
    /// The length prefix before every frame.
    public static let lengthPrefixSize = 4
    public static let defaultMaximumFrameSize = 16_384
    public static let responseBit: UInt8 = 0x80
    public static let errorOpcode: UInt8 = 0xFF
    public static let maximumPingPayload = 256
}

/// A request operation.
public enum Opcode: UInt8, Sendable, Hashable, CaseIterable {
    case hello = 0x01
    case ping = 0x02
    case validate = 0x03
    case interpret = 0x04
    case stats = 0x05
    case cscGenerate = 0x06
    case cscVerify = 0x07
    case cavvGenerate = 0x08
    case cavvVerify = 0x09

    public var name: String {
        switch self {
        case .hello: "HELLO"
        case .ping: "PING"
        case .validate: "VALIDATE"
        case .interpret: "INTERPRET"
        case .stats: "STATS"
        case .cscGenerate: "CSC_GENERATE"
        case .cscVerify: "CSC_VERIFY"
        case .cavvGenerate: "CAVV_GENERATE"
        case .cavvVerify: "CAVV_VERIFY"
        }
    }

    /// The opcode of this operation's response.
    public var responseOpcode: UInt8 { rawValue | WireFormat.responseBit }
}

/// Request flags of `VALIDATE`.
public struct ValidateFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let strictStreet = ValidateFlags(rawValue: 1 << 0)
    public static let internationalAVS = ValidateFlags(rawValue: 1 << 1)
}

/// Request flags of `STATS`.
public struct StatsFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Answer with the daemon's metrics in the Prometheus text exposition format instead of counters.
    public static let prometheus = StatsFlags(rawValue: 1 << 0)
}
