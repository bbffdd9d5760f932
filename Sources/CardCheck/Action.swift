/// What a merchant should do with a transaction, ordered by severity: decline > retry > review > accept.
public enum Action: UInt8, Sendable, Hashable, Comparable, CaseIterable {
    case accept = 0
    case review
    case retry
    case decline

    public var name: String {
        switch self {
        case .accept: "accept"
        case .review: "review"
        case .retry: "retry"
        case .decline: "decline"
        }
    }

    public init?(name: String) {
        guard let action = Action.allCases.first(where: { $0.name == name }) else { return nil }
        self = action
    }

    @inlinable public static func < (lhs: Action, rhs: Action) -> Bool { lhs.rawValue < rhs.rawValue }
}
