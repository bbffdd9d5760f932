import CardCheck
import Foundation

/// The daemon's configuration: defaults embedded here, then the file (`key = value` lines, `#` comments),
/// then command-line flags. Every key is described once, in ``ConfigurationKey/all``: the parser,
/// `--check-config`, the documented file, the restart-only diff and the tests derive from that table.
/// An unknown key is an error, so that a misspelt setting never silently falls back to its default.
public struct Configuration: Sendable, Equatable {
    var socketPath = "run/cardcheck.sock"
    var socketMode: mode_t = 0o660
    var socketGroup: String?
    var workers = ProcessInfo.processInfo.activeProcessorCount
    var ioThreads = 1
    var maxConnections = 1_024
    var maxInFlight = 256
    /// Batches (the frames of one read) of at most this many requests are answered on the event loop;
    /// larger ones go to the worker pool. 0: every batch goes to the workers.
    var inlineBatchLimit = 16
    var maxFrame = 16_384
    var idleTimeoutSeconds = 300
    /// Users (names or numeric ids) whose processes may connect; empty with `allowGroups` empty means the
    /// daemon's own user and root only.
    var allowUsers: [String] = []
    var allowGroups: [String] = []
    /// Users and groups whose processes may generate card verification values (`CSC_GENERATE`); both
    /// empty (the default) means nobody: the operation is off.
    var cscGenerateUsers: [String] = []
    var cscGenerateGroups: [String] = []
    /// Users and groups whose processes may generate 3-D Secure authentication values (`CAVV_GENERATE`);
    /// both empty (the default) means nobody.
    var cavvGenerateUsers: [String] = []
    var cavvGenerateGroups: [String] = []
    var avsStrict = false
    // Velocity limits (VelocityLimiter): per card, per BIN, per peer.
    var velocity = true
    var velocityCSCFailures = 5
    var velocityExpiryFailures = 5
    var velocityAVSFailures = 10
    var velocityCardWindow = 3_600
    var velocityBINCards = 200
    var velocityBINWindow = 600
    var velocityBINDigits = 6
    var velocityMaxCards = 1_000_000
    var velocityMaxBINs = 100_000
    var velocityPeerRequests = 0
    var velocityPeerBurst = 0
    var velocityPeerFailures = 0
    var avsInternational = false
    /// The decision policy (`policy.REASON`) and what changes when liability shifted
    /// (`policy.shifted.REASON`); merchants' profiles start from it.
    var decisions = PolicyProfile()
    public internal(set) var logLevel = "info"
    /// `text` (swift-log's stream format) or `json` (``JSONLogHandler``).
    public internal(set) var logFormat = "text"
    /// The card verification key file; systemd's credential `cardcheck-keys` takes its place when given.
    var keyFile = ""
    var brandsFile = ""
    var rangesFile = ""
    /// A directory of merchants' policy profiles, one `NAME.conf` each.
    var profilesDirectory = ""

    public init() {}

    /// Reads `text` on top of the current values.
    public mutating func apply(file text: String, name: String) throws(ConfigurationError) {
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            // `key =` with nothing after it is an empty value (an empty list), not a missing one.
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ConfigurationError(file: name, line: index + 1, message: "expected `key = value`")
            }
            do {
                try set(parts[0], to: parts[1])
            } catch {
                throw ConfigurationError(file: name, line: index + 1, message: error.message)
            }
        }
    }

    /// Sets one key from its text, by the key's entry in ``ConfigurationKey/all``.
    public mutating func set(_ name: String, to value: String) throws(ConfigurationError) {
        if name.hasPrefix(ConfigurationKey.policyPrefix) {
            do throws(PolicyError) {
                try decisions.set(String(name.dropFirst(ConfigurationKey.policyPrefix.count)), to: value)
            } catch .unknownAction {
                throw ConfigurationError(message: "\(name) must be accept, review, retry or decline")
            } catch {
                throw ConfigurationError(message: "\(name): \(error)")
            }
            return
        }
        guard let key = ConfigurationKey.named(name) else {
            throw ConfigurationError(
                message: "unknown key '\(name)'; keys are " + ConfigurationKey.all.map(\.name).joined(separator: ", ")
                    + ", policy.REASON, policy.shifted.REASON"
            )
        }
        try key.set(&self, value)
    }

    /// The effective configuration as `key = value` lines, every key in the table's order, then policy
    /// lines where they differ from the card networks' defaults: what `--check-config` prints.
    public var effectiveLines: [String] {
        ConfigurationKey.all.map { "\($0.name) = \($0.get(self))" } + policyLines
    }

    var policyLines: [String] {
        decisions.lines(from: .cardNetworkDefaults).map { ConfigurationKey.policyPrefix + $0 }
    }

    /// The keys whose values differ from `other`'s and that take effect only on a restart.
    public func restartOnlyDifferences(from other: Configuration) -> [String] {
        ConfigurationKey.all.filter { !$0.reloadable && $0.get(self) != $0.get(other) }.map(\.name)
    }

    /// Who may connect.
    func connectionAccess() throws(ConfigurationError) -> AccessControl {
        try AccessControl(users: allowUsers, groups: allowGroups)
    }

    /// Who may generate codes: nobody unless listed.
    func generateAccess() throws(ConfigurationError) -> AccessControl {
        try AccessControl(
            users: cscGenerateUsers,
            groups: cscGenerateGroups,
            emptyMeansSelf: false,
            setting: ("csc_generate_users", "csc_generate_groups")
        )
    }

    /// Who may generate authentication values: nobody unless listed.
    func authenticationValueGenerateAccess() throws(ConfigurationError) -> AccessControl {
        try AccessControl(
            users: cavvGenerateUsers,
            groups: cavvGenerateGroups,
            emptyMeansSelf: false,
            setting: ("cavv_generate_users", "cavv_generate_groups")
        )
    }

    /// The velocity limits as the limiter takes them.
    var velocitySettings: VelocityLimiter.Settings {
        var settings = VelocityLimiter.Settings()
        settings.codeFailures = velocityCSCFailures
        settings.expiryFailures = velocityExpiryFailures
        settings.addressFailures = velocityAVSFailures
        settings.cardWindowSeconds = UInt32(velocityCardWindow)
        settings.binCards = velocityBINCards
        settings.binWindowSeconds = UInt32(velocityBINWindow)
        settings.binDigits = velocityBINDigits
        settings.maximumCards = velocityMaxCards
        settings.maximumBINs = velocityMaxBINs
        return settings
    }

    /// What the velocity limits are, in one line for the log and `--check-config`.
    var velocitySummary: String {
        guard velocity else { return "off" }
        var parts = [
            "a card locked for \(velocityCardWindow) s after \(velocityCSCFailures) wrong codes, "
                + "\(velocityExpiryFailures) bad expiries or \(velocityAVSFailures) address failures in that time",
            velocityBINCards > 0
                ? "a \(velocityBINDigits)-digit BIN flagged for \(velocityBINWindow) s when \(velocityBINCards) of its cards fail in that time"
                : "BINs not flagged",
            "at most \(velocityMaxCards) cards and \(velocityMaxBINs) BINs tracked",
        ]
        if peerLimits.isOff {
            parts.append("no per-peer limit")
        } else {
            parts.append(
                "per peer: \(velocityPeerRequests) requests/s (0: none), \(velocityPeerFailures) failures/min (0: none)"
            )
        }
        return "on; " + parts.joined(separator: "; ")
    }

    /// The per-peer rate limits.
    var peerLimits: PeerRateLimiter.Limits {
        PeerRateLimiter.Limits(
            requestsPerSecond: Double(velocityPeerRequests),
            burst: Double(velocityPeerBurst),
            failuresPerMinute: Double(velocityPeerFailures)
        )
    }

    var validator: Validator {
        Validator(
            policy: decisions.policy,
            shiftedOverrides: decisions.shifted,
            avsOptions: AVSOptions(strictStreet: avsStrict, international: avsInternational)
        )
    }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public var file: String?
    public var line: Int?
    public var message: String

    public init(file: String? = nil, line: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        guard let file else { return message }
        return "\(file):\(line.map(String.init) ?? "?"): \(message)"
    }
}
