/// The kinds of request a load run sends, and their shares.
public enum RequestKind: String, Sendable, Hashable, CaseIterable {
    /// `VALIDATE` with a PAN only: Luhn, brand and length.
    case luhn
    /// `VALIDATE` with PAN, expiry, CSC and indicator, entered and on-file addresses.
    case full
    /// `CSC_VERIFY`: a CVV2 checked under the daemon's keys.
    case csc
    /// `INTERPRET`: an issuer's AVS and CSC codes explained.
    case interpret
    /// `VALIDATE` as `full`, with a 3-D Secure outcome: a status (mostly `Y`), the ECI the card's brand
    /// uses for it, the message version and, for `Y` and `A`, a CAVV or AAV (the issuer's where a key covers
    /// the card, right about half the time).
    case threeDS = "threeds"
    /// `CAVV_VERIFY`: a CAVV or AAV checked under the daemon's keys, right about half the time.
    case cavv
    /// `PING` without a payload: the protocol's round trip and nothing else (against Redis: its `PING`).
    case ping
}

/// `full=70,luhn=20,csc=5,interpret=5`: whole-number weights, not necessarily summing to 100.
public struct RequestMix: Sendable, Hashable, CustomStringConvertible {
    public private(set) var weights: [(kind: RequestKind, weight: Int)]

    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    public init(_ text: String) throws(Problem) {
        weights = []
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard let kind = RequestKind(rawValue: pieces[0]) else {
                throw Problem(
                    description: "'\(pieces[0])' is not a request kind; kinds are "
                        + RequestKind.allCases.map(\.rawValue).joined(separator: ", ")
                )
            }
            let weight: Int
            if pieces.count == 1 {
                weight = 1
            } else if let number = Int(pieces[1]), number >= 0 {
                weight = number
            } else {
                throw Problem(description: "the share of \(kind.rawValue) must be a whole number, not '\(pieces[1])'")
            }
            guard !weights.contains(where: { $0.kind == kind }) else {
                throw Problem(description: "\(kind.rawValue) is given twice")
            }
            if weight > 0 { weights.append((kind, weight)) }
        }
        guard !weights.isEmpty else { throw Problem(description: "the mix names no request kind with a share above 0") }
    }

    public var total: Int { weights.reduce(0) { $0 + $1.weight } }

    public func contains(_ kind: RequestKind) -> Bool { weights.contains { $0.kind == kind } }

    /// The kind a uniform draw in `0..<total` falls on.
    func kind(at draw: Int) -> RequestKind {
        var remaining = draw
        for (kind, weight) in weights {
            if remaining < weight { return kind }
            remaining -= weight
        }
        return weights[weights.count - 1].kind
    }

    public var description: String { weights.map { "\($0.kind.rawValue)=\($0.weight)" }.joined(separator: ",") }

    public static func == (lhs: RequestMix, rhs: RequestMix) -> Bool { lhs.description == rhs.description }
    public func hash(into hasher: inout Hasher) { hasher.combine(description) }
}
