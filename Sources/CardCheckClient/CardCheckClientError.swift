/// Why a request to cardcheckd did not get an answer.
public enum CardCheckClientError: Error, Sendable, CustomStringConvertible {
    /// The socket could not be reached (no daemon, wrong path, no permission).
    case connectionFailed(path: String, reason: String)
    /// The connection closed before the answer came.
    case connectionClosed
    /// No answer within the timeout.
    case timedOut
    /// The daemon answered with an error response.
    case server(CardCheckServerError)
    /// The daemon's answer could not be read.
    case protocolViolation(String)

    public var description: String {
        switch self {
        case let .connectionFailed(path, reason): "cannot connect to \(path): \(reason)"
        case .connectionClosed: "the connection to cardcheckd closed before the answer came"
        case .timedOut: "cardcheckd did not answer in time"
        case let .server(error): "cardcheckd: \(error)"
        case let .protocolViolation(message): "unreadable answer from cardcheckd: \(message)"
        }
    }

    /// Worth one more try on a fresh connection: every operation is idempotent.
    var isRetryable: Bool {
        switch self {
        case .connectionClosed, .connectionFailed: true
        default: false
        }
    }
}
