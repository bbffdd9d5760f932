import CardCheck
import Foundation

/// The daemon's configuration: defaults embedded here, then the file (`key = value` lines, `#` comments),
/// then command-line flags. Every key is listed in `keys` with its meaning; an unknown key is an error,
/// so that a misspelt setting never silently falls back to its default.
struct Configuration: Sendable, Equatable {
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
    var avsStrict = false
    var avsInternational = false
    var policy = DecisionPolicy.cardNetworkDefaults
    var logLevel = "info"
    /// The card verification key file; systemd's credential `cardcheck-keys` takes its place when given.
    var keyFile = ""

    /// Every key: name and what it sets. The default is whatever `Configuration()` holds.
    static let keys: [(name: String, help: String)] = [
        ("socket", "path of the Unix socket to listen on"),
        ("socket_mode", "file mode of the socket, octal"),
        ("socket_group", "group (name or id) that owns the socket"),
        ("workers", "worker queues that run validations (default: one per core)"),
        ("io_threads", "SwiftNIO event loop threads"),
        ("max_connections", "open connections at most; more get `overloaded`"),
        ("max_in_flight", "requests per connection being answered before the daemon stops reading it"),
        ("inline_batch_limit", "answer batches of at most this many requests on the event loop, larger ones on the workers (0: always the workers)"),
        ("max_frame", "largest frame in bytes (checked from the length field)"),
        ("idle_timeout", "seconds a connection may send nothing before it is closed (0: never)"),
        ("allow_users", "comma-separated users (names or ids) whose processes may connect"),
        ("allow_groups", "comma-separated groups (names or ids) whose members may connect"),
        ("csc_generate_users", "comma-separated users (names or ids) who may generate card verification values; empty: nobody"),
        ("csc_generate_groups", "comma-separated groups (names or ids) whose members may generate card verification values"),
        ("avs_strict", "compare the words of street lines too (true/false)"),
        ("avs_international", "match non-US addresses with the Visa international codes (true/false)"),
        ("log_level", "trace, debug, info, notice, warning, error or critical"),
        ("keys", "card verification key file (mode 0600 or 0400, owned by the daemon's user); empty: no keys"),
        ("policy.REASON", "action (accept, review, retry, decline) for a reason such as policy.avs_N"),
    ]

    /// Reads `text` on top of the current values.
    mutating func apply(file text: String, name: String) throws(ConfigurationError) {
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
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

    mutating func set(_ key: String, to value: String) throws(ConfigurationError) {
        func integer(_ range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
            guard let number = Int(value), range.contains(number) else {
                throw ConfigurationError(message: "\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }
        func bool() throws(ConfigurationError) -> Bool {
            switch value.lowercased() {
            case "true", "yes", "on", "1": return true
            case "false", "no", "off", "0": return false
            default: throw ConfigurationError(message: "\(key) must be true or false")
            }
        }
        func list() -> [String] {
            value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        switch key {
        case "socket":
            guard !value.isEmpty else { throw ConfigurationError(message: "socket needs a path") }
            socketPath = value
        case "socket_mode":
            guard let mode = mode_t(value, radix: 8), mode <= 0o777 else {
                throw ConfigurationError(message: "socket_mode must be octal, for example 0660")
            }
            socketMode = mode
        case "socket_group": socketGroup = value.isEmpty ? nil : value
        case "workers": workers = try integer(1...256)
        case "io_threads": ioThreads = try integer(1...64)
        case "max_connections": maxConnections = try integer(1...1_000_000)
        case "max_in_flight": maxInFlight = try integer(1...1_000_000)
        case "max_frame": maxFrame = try integer(64...16_777_216)
        case "inline_batch_limit": inlineBatchLimit = try integer(0...65_536)
        case "idle_timeout": idleTimeoutSeconds = try integer(0...86_400)
        case "allow_users": allowUsers = list()
        case "allow_groups": allowGroups = list()
        case "csc_generate_users": cscGenerateUsers = list()
        case "csc_generate_groups": cscGenerateGroups = list()
        case "avs_strict": avsStrict = try bool()
        case "avs_international": avsInternational = try bool()
        case "log_level":
            guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(value) else {
                throw ConfigurationError(message: "log_level must be trace, debug, info, notice, warning, error or critical")
            }
            logLevel = value
        case "keys": keyFile = value
        case _ where key.hasPrefix("policy."):
            guard let action = Action(name: value) else {
                throw ConfigurationError(message: "\(key) must be accept, review, retry or decline")
            }
            do {
                try policy.set(action, forReasonNamed: String(key.dropFirst("policy.".count)))
            } catch {
                throw ConfigurationError(message: "\(key): \(error)")
            }
        default:
            throw ConfigurationError(message: "unknown key '\(key)'; keys are " + Configuration.keys.map(\.name).joined(separator: ", "))
        }
    }

    /// The effective configuration as `key = value` lines (policy lines only where they differ from the
    /// card networks' defaults), as `--check-config` prints it.
    var effectiveLines: [String] {
        var lines = [
            "socket = \(socketPath)", "socket_mode = 0\(String(socketMode, radix: 8))", "socket_group = \(socketGroup ?? "")",
            "allow_users = \(allowUsers.joined(separator: ", "))", "allow_groups = \(allowGroups.joined(separator: ", "))",
            "csc_generate_users = \(cscGenerateUsers.joined(separator: ", "))",
            "csc_generate_groups = \(cscGenerateGroups.joined(separator: ", "))",
            "workers = \(workers)", "io_threads = \(ioThreads)", "max_connections = \(maxConnections)",
            "max_in_flight = \(maxInFlight)", "inline_batch_limit = \(inlineBatchLimit)", "max_frame = \(maxFrame)", "idle_timeout = \(idleTimeoutSeconds)",
            "avs_strict = \(avsStrict)", "avs_international = \(avsInternational)", "log_level = \(logLevel)",
            "keys = \(keyFile)",
        ]
        for reason in Reason.allCases where policy[reason] != DecisionPolicy.cardNetworkDefaults[reason] {
            lines.append("policy.\(reason.name) = \(policy[reason].name)")
        }
        return lines
    }

    /// Who may connect.
    func connectionAccess() throws(ConfigurationError) -> AccessControl {
        try AccessControl(users: allowUsers, groups: allowGroups)
    }

    /// Who may generate codes: nobody unless listed.
    func generateAccess() throws(ConfigurationError) -> AccessControl {
        try AccessControl(users: cscGenerateUsers, groups: cscGenerateGroups, emptyMeansSelf: false,
                          setting: ("csc_generate_users", "csc_generate_groups"))
    }

    var validator: Validator {
        Validator(policy: policy, avsOptions: AVSOptions(strictStreet: avsStrict, international: avsInternational))
    }
}

struct ConfigurationError: Error, CustomStringConvertible {
    var file: String?
    var line: Int?
    var message: String

    init(file: String? = nil, line: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    var description: String {
        guard let file else { return message }
        return "\(file):\(line.map(String.init) ?? "?"): \(message)"
    }
}
