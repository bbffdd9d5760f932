import CardCheck
import NIOCore

/// An error response (opcode 0xFF): its kind, a stable code, the field at fault and a message. Messages
/// never carry a PAN digit or a security code.
public struct WireError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: UInt8, Sendable, Hashable, CaseIterable {
        case malformed = 1
        case frameTooLarge = 2
        case unsupportedVersion = 3
        case unknownOperation = 4
        case missingField = 5
        case invalidField = 6
        case overloaded = 7
        case notPermitted = 8
        case `internal` = 9
        /// The peer is over its rate limit; the error says how long to wait (`retry_after_ms`).
        case rateLimited = 10

        public var name: String {
            switch self {
            case .malformed: "malformed"
            case .frameTooLarge: "frame_too_large"
            case .unsupportedVersion: "unsupported_version"
            case .unknownOperation: "unknown_operation"
            case .missingField: "missing_field"
            case .invalidField: "invalid_field"
            case .overloaded: "overloaded"
            case .notPermitted: "not_permitted"
            case .internal: "internal"
            case .rateLimited: "rate_limited"
            }
        }
    }

    public var kind: Kind
    public var code: String
    public var field: String?
    public var message: String
    /// With `rate_limited`: milliseconds until the peer's bucket has a token again.
    public var retryAfterMilliseconds: UInt32?

    public init(
        kind: Kind,
        code: String? = nil,
        field: String? = nil,
        message: String,
        retryAfterMilliseconds: UInt32? = nil
    ) {
        self.kind = kind
        self.code = code ?? kind.name
        self.field = field
        self.message = message
        self.retryAfterMilliseconds = retryAfterMilliseconds
    }

    /// The engine's error as the wire carries it: its own code, field and message.
    public init(_ error: ValidationError) {
        self.init(
            kind: error == .nothingToCheck ? .missingField : .invalidField,
            code: error.code,
            field: error.field,
            message: error.description
        )
    }

    public var description: String { "\(kind.name) (\(code)): \(message)" }

    enum Tag: UInt8 {
        case kind = 0x01
        case code = 0x02
        case field = 0x03
        case message = 0x04
        case retryAfter = 0x05
    }

    /// Writes the error's fields.
    public func write(to buffer: inout ByteBuffer) {
        buffer.writeField(Tag.kind.rawValue, byte: kind.rawValue)
        buffer.writeField(Tag.code.rawValue, text: code)
        if let field { buffer.writeField(Tag.field.rawValue, text: field) }
        buffer.writeField(Tag.message.rawValue, text: message)
        if let retryAfterMilliseconds { buffer.writeField(Tag.retryAfter.rawValue, integer: retryAfterMilliseconds) }
    }

    /// Reads an error response's fields.
    public init(fields: ByteBuffer) throws(WireError) {
        var kind: Kind?
        var code: String?
        var field: String?
        var message = ""
        var retryAfter: UInt32?
        var reader = FieldReader(fields)
        while let (tag, value) = try reader.next() {
            switch Tag(rawValue: tag) {
            case .kind: kind = Kind(rawValue: try value.byte(named: "kind"))
            case .code: code = value.text
            case .field: field = value.text
            case .message: message = value.text
            case .retryAfter: retryAfter = try value.integer(named: "retry_after_ms")
            case nil: break
            }
        }
        guard let kind else { throw WireError(kind: .malformed, message: "error response without a known kind") }
        self.init(kind: kind, code: code, field: field, message: message, retryAfterMilliseconds: retryAfter)
    }

    /// Whether the server closes the connection after sending this error.
    public var closesConnection: Bool {
        switch kind {
        case .frameTooLarge, .overloaded: true
        case .notPermitted: code == Kind.notPermitted.name  // a refused peer; not a refused operation
        case .malformed: code == "malformed_stream"
        default: false
        }
    }

    public static func malformed(_ message: String) -> WireError { WireError(kind: .malformed, message: message) }

    public static func invalid(_ field: String, _ message: String) -> WireError {
        WireError(kind: .invalidField, field: field, message: message)
    }
}
