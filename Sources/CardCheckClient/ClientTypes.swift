import CardCheck
import CardCheckWire

// The client's own request options and answers: its public API names no NIO type and no codec struct,
// so that the wire codec can change without breaking the packages that depend on this one.

extension CardCheckClient {
    /// The address-verification options of one `VALIDATE`, added to the daemon's configured ones.
    public struct ValidateOptions: OptionSet, Sendable, Hashable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// Compare the words of street lines too, not only their numbers.
        public static let strictStreet = ValidateOptions(rawValue: ValidateFlags.strictStreet.rawValue)
        /// Match non-US addresses with the Visa international codes D, B, P, C, I instead of answering G.
        public static let internationalAVS = ValidateOptions(rawValue: ValidateFlags.internationalAVS.rawValue)
    }

    /// The daemon's name, version and limits (`HELLO`).
    public struct ServerInfo: Sendable, Hashable {
        public var serverName: String
        public var serverVersion: String
        public var protocolVersion: Int
        public var maximumFrameSize: Int
        public var maximumInFlight: Int

        init(_ hello: HelloResponse) {
            serverName = hello.serverName
            serverVersion = hello.serverVersion
            protocolVersion = Int(hello.protocolVersion)
            maximumFrameSize = Int(hello.maximumFrameSize)
            maximumInFlight = Int(hello.maximumInFlight)
        }
    }

    /// What AVS and CSC result letters mean, and the action the daemon's policy takes (`INTERPRET`).
    public struct Interpretation: Sendable, Hashable {
        public struct AVSPart: Sendable, Hashable {
            public var meaning: String
            public var street: MatchFlag
            public var postal: MatchFlag
            public var action: Action
            public var advice: String

            public init(meaning: String, street: MatchFlag, postal: MatchFlag, action: Action, advice: String) {
                self.meaning = meaning
                self.street = street
                self.postal = postal
                self.action = action
                self.advice = advice
            }
        }
        public struct CSCPart: Sendable, Hashable {
            public var meaning: String
            public var action: Action
            public var advice: String

            public init(meaning: String, action: Action, advice: String) {
                self.meaning = meaning
                self.action = action
                self.advice = advice
            }
        }
        /// Nil when no AVS letter was asked about.
        public var avs: AVSPart?
        /// Nil when no CSC letter was asked about.
        public var csc: CSCPart?
        /// The more severe of the two actions.
        public var action: Action

        public init(avs: AVSPart?, csc: CSCPart?, action: Action) {
            self.avs = avs
            self.csc = csc
            self.action = action
        }

        /// From the wire's answer; `package`, so that `cardcheck interpret --local` shows its in-process
        /// answer in the same shape without a codec struct entering the public API.
        package init(wire response: InterpretResponse) {
            avs = response.avs.map {
                AVSPart(meaning: $0.meaning, street: $0.street, postal: $0.postal, action: $0.action, advice: $0.advice)
            }
            csc = response.csc.map { CSCPart(meaning: $0.meaning, action: $0.action, advice: $0.advice) }
            action = response.action
        }
    }

    /// The daemon's counters (`STATS`). No card data is ever part of them.
    public struct Statistics: Sendable, Hashable {
        public var uptimeSeconds: UInt64
        public var openConnections: UInt64
        public var acceptedConnections: UInt64
        public var refusedConnections: UInt64
        public var requestsAnswered: UInt64
        public var validateRequests: UInt64
        public var errorsSent: UInt64
        public var workerQueues: UInt64
        /// Every counter with its wire name, in the protocol's order.
        public var named: [(name: String, value: UInt64)]

        init(_ stats: StatsResponse) {
            uptimeSeconds = stats.uptimeSeconds
            openConnections = stats.openConnections
            acceptedConnections = stats.acceptedConnections
            refusedConnections = stats.refusedConnections
            requestsAnswered = stats.requestsAnswered
            validateRequests = stats.validateRequests
            errorsSent = stats.errorsSent
            workerQueues = stats.workerQueues
            named = stats.named
        }

        public static func == (left: Statistics, right: Statistics) -> Bool {
            left.named.map(\.value) == right.named.map(\.value)
        }

        public func hash(into hasher: inout Hasher) { hasher.combine(named.map(\.value)) }
    }

    /// A card verification value made under the issuer's key (`CSC_GENERATE`). Its description names the
    /// key, never the code.
    public struct GeneratedSecurityCode: Sendable, Hashable, CustomStringConvertible {
        public var code: String
        public var key: KeyIdentity

        public var description: String { "GeneratedSecurityCode(key: \(key.name), KCV \(key.checkValue))" }
    }
}

/// An error answer of cardcheckd: its kind, stable code (Protocol/PROTOCOL.md's registry), the request
/// field at fault and a message, none of which ever holds a PAN digit or a security code.
public struct CardCheckServerError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case malformed
        case frameTooLarge = "frame_too_large"
        case unsupportedVersion = "unsupported_version"
        case unknownOperation = "unknown_operation"
        case missingField = "missing_field"
        case invalidField = "invalid_field"
        case overloaded
        case notPermitted = "not_permitted"
        case `internal`
        case rateLimited = "rate_limited"
    }

    public var kind: Kind
    public var code: String
    public var field: String?
    public var message: String
    /// With `rate_limited`: how long to wait before sending again.
    public var retryAfter: Duration?

    public init(kind: Kind, code: String, field: String? = nil, message: String, retryAfter: Duration? = nil) {
        self.kind = kind
        self.code = code
        self.field = field
        self.message = message
        self.retryAfter = retryAfter
    }

    init(_ error: WireError) {
        self.init(
            kind: Kind(rawValue: error.kind.name) ?? .internal,
            code: error.code,
            field: error.field,
            message: error.message,
            retryAfter: error.retryAfterMilliseconds.map { .milliseconds(Int64($0)) }
        )
    }

    public var description: String { "\(kind.rawValue) (\(code)): \(message)" }
}
