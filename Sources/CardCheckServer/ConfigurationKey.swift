import CardCheck
import Foundation

/// One configuration key, written once: its name, how its text is parsed and printed, its bounds, its
/// documentation and whether a reload (SIGHUP) applies it. The default is what `Configuration()` holds.
public struct ConfigurationKey: Sendable {
    public let name: String
    /// What the documented file says about it, one paragraph (wrapped when rendered).
    public let doc: String
    /// A reload applies it to running connections; otherwise it takes effect on the next start.
    public let reloadable: Bool
    /// How the default is shown when it is not a literal (`<number of cores>`); nil: the literal default.
    let defaultText: String?
    let set: @Sendable (inout Configuration, String) throws(ConfigurationError) -> Void
    let get: @Sendable (Configuration) -> String

    /// `policy.REASON = action` and `policy.shifted.REASON = action` (``PolicyProfile/set(_:to:)``).
    static let policyPrefix = "policy."

    public static func named(_ name: String) -> ConfigurationKey? { all.first { $0.name == name } }

    /// The default as the documented file shows it.
    var documentedDefault: String { defaultText ?? get(Configuration()) }

    // MARK: The table

    public static let all: [ConfigurationKey] = [
        text(
            "socket",
            \.socketPath,
            required: true,
            reloadable: false,
            doc: """
                Unix socket to listen on. The built-in default is run/cardcheck.sock under the working directory \
                (no root needed); a packaged install uses /run/cardcheck/cardcheck.sock. Under socket activation \
                the .socket unit's path is used instead.
                """
        ),
        ConfigurationKey(
            name: "socket_mode",
            doc: "File mode (octal) of the socket. 0660 keeps other users out at the file system.",
            reloadable: false,
            defaultText: nil,
            set: { configuration, value throws(ConfigurationError) in
                guard let mode = mode_t(value, radix: 8), mode <= 0o777 else {
                    throw ConfigurationError(message: "socket_mode must be octal, for example 0660")
                }
                configuration.socketMode = mode
            },
            get: { "0" + String($0.socketMode, radix: 8) }
        ),
        ConfigurationKey(
            name: "socket_group",
            doc: "Group (name or id) that owns the socket; empty: the daemon's own group.",
            reloadable: false,
            defaultText: nil,
            set: { configuration, value in configuration.socketGroup = value.isEmpty ? nil : value },
            get: { $0.socketGroup ?? "" }
        ),
        list(
            "allow_users",
            \.allowUsers,
            doc: """
                Who may connect, checked with SO_PEERCRED on every accepted connection: comma-separated user names \
                or ids. With allow_users and allow_groups both empty, only the daemon's own user and root may connect.
                """
        ),
        list("allow_groups", \.allowGroups, doc: "Comma-separated groups (names or ids) whose members may connect."),
        list(
            "csc_generate_users",
            \.cscGenerateUsers,
            doc: """
                Who may generate card verification values (CSC_GENERATE, for test-card issuance and sandboxes): \
                comma-separated users, names or ids. With csc_generate_users and csc_generate_groups both empty (the \
                default), nobody: the operation is off. CSC_VERIFY needs no listing.
                """
        ),
        list(
            "csc_generate_groups",
            \.cscGenerateGroups,
            doc: "Comma-separated groups whose members may generate card verification values."
        ),
        list(
            "cavv_generate_users",
            \.cavvGenerateUsers,
            doc: """
                Who may generate 3-D Secure authentication values (CAVV_GENERATE: Visa CAVVs and Mastercard AAVs, \
                for ACS test harnesses and sandboxes): comma-separated users, names or ids. With this list and \
                cavv_generate_groups both empty (the default), nobody: the operation is off. A peer that may \
                make a card's value can forge its authentication: list only test systems. CAVV_VERIFY needs no \
                listing.
                """
        ),
        list(
            "cavv_generate_groups",
            \.cavvGenerateGroups,
            doc: "Comma-separated groups whose members may generate 3-D Secure authentication values."
        ),
        bool(
            "velocity",
            \.velocity,
            doc: """
                Velocity limits against card testing: failures counted per card (by a keyed hash of its number, \
                never the number) and per BIN; a card over a limit is locked for its window (reason \
                velocity_card, its code answered L whether right or wrong), a BIN whose cards fail in numbers is \
                flagged (velocity_bin). The counts survive a reload and are lost at restart. The limits are per \
                daemon: on N gateway hosts an attacker spreading requests over them gets N times the budget, so \
                divide the thresholds by N where traffic is spread evenly.
                """
        ),
        integer(
            "velocity_csc_failures",
            \.velocityCSCFailures,
            0...4_095,
            reloadable: true,
            doc: "Wrong security codes (N) per card within velocity_card_window before it is locked; 0: not counted."
        ),
        integer(
            "velocity_expiry_failures",
            \.velocityExpiryFailures,
            0...4_095,
            reloadable: true,
            doc: "Expired or malformed expiries per card within the window before it is locked; 0: not counted."
        ),
        integer(
            "velocity_avs_failures",
            \.velocityAVSFailures,
            0...4_095,
            reloadable: true,
            doc:
                "Addresses that match nothing (AVS N, international C) per card within the window before it is locked; 0: not counted."
        ),
        integer(
            "velocity_card_window",
            \.velocityCardWindow,
            1...604_800,
            reloadable: true,
            doc: "Seconds over which a card's failures are counted, and how long a lock lasts."
        ),
        integer(
            "velocity_bin_cards",
            \.velocityBINCards,
            0...65_535,
            reloadable: true,
            doc: "Distinct cards of one BIN failing within velocity_bin_window before its requests are flagged; 0: off."
        ),
        integer(
            "velocity_bin_window",
            \.velocityBINWindow,
            1...604_800,
            reloadable: true,
            doc: "Seconds over which a BIN's failing cards are counted, and how long a flag lasts."
        ),
        ConfigurationKey(
            name: "velocity_bin_digits",
            doc: "How many leading digits make a BIN for velocity_bin: 6 or 8. Reloadable.",
            reloadable: true,
            defaultText: nil,
            set: { configuration, value throws(ConfigurationError) in
                guard value == "6" || value == "8" else {
                    throw ConfigurationError(message: "velocity_bin_digits must be 6 or 8")
                }
                configuration.velocityBINDigits = Int(value)!
            },
            get: { String($0.velocityBINDigits) }
        ),
        integer(
            "velocity_max_cards",
            \.velocityMaxCards,
            1_024...100_000_000,
            reloadable: false,
            doc: """
                Cards tracked at most (32 bytes each, allocated as they arrive); when full, the oldest entry makes \
                way, except a locked card, which is passed over (up to 8 at a time).
                """
        ),
        integer(
            "velocity_max_bins",
            \.velocityMaxBINs,
            64...10_000_000,
            reloadable: false,
            doc: "BINs tracked at most (28 bytes each); the oldest makes way, a flagged one passed over."
        ),
        integer(
            "velocity_peer_requests",
            \.velocityPeerRequests,
            0...100_000_000,
            reloadable: true,
            doc: """
                Requests per second each peer user (uid) may send, as a token bucket; over it a request gets \
                rate_limited (the connection stays open) saying how long to wait. 0 (the default): no limit.
                """
        ),
        integer(
            "velocity_peer_burst",
            \.velocityPeerBurst,
            0...100_000_000,
            reloadable: true,
            doc: "The bucket's size: requests a peer may send at once above its rate; 0: one second's worth."
        ),
        integer(
            "velocity_peer_failures",
            \.velocityPeerFailures,
            0...100_000_000,
            reloadable: true,
            doc: """
                Failures (wrong code, bad expiry, address matching nothing) per minute each peer user may cause \
                before its requests get rate_limited until the bucket refills; 0 (the default): no limit.
                """
        ),
        integer(
            "workers",
            \.workers,
            1...256,
            defaultText: "<number of cores>",
            reloadable: false,
            doc: "Worker queues that answer large batches (default: one per core)."
        ),
        integer("io_threads", \.ioThreads, 1...64, reloadable: false, doc: "SwiftNIO event loop threads."),
        integer(
            "max_connections",
            \.maxConnections,
            1...1_000_000,
            reloadable: false,
            doc: "Open connections at most; more get `overloaded` and are closed."
        ),
        integer(
            "max_in_flight",
            \.maxInFlight,
            1...1_000_000,
            reloadable: false,
            doc: """
                Requests per connection being answered by the workers before the daemon stops reading it. It also \
                stops reading a connection while its unsent answers pass 64 KiB (a peer that does not read).
                """
        ),
        integer(
            "inline_batch_limit",
            \.inlineBatchLimit,
            0...65_536,
            reloadable: false,
            doc: """
                The requests of one read, up to this many, are answered on the event loop: cheaper than handing \
                them to a worker queue and back. Larger batches (a client pipelining hard) go to the workers. \
                0 sends every batch to the workers.
                """
        ),
        integer(
            "max_frame",
            \.maxFrame,
            64...16_777_216,
            reloadable: false,
            doc: "Largest frame in bytes, checked from the length field: larger ones get `frame_too_large`."
        ),
        integer(
            "idle_timeout",
            \.idleTimeoutSeconds,
            0...86_400,
            reloadable: false,
            doc: """
                Seconds a connection may send nothing before it is closed, and the longest one frame may take to \
                arrive (0: never). A peer that stops reading its answers is no longer read either, so it is \
                closed the same way once this passes.
                """
        ),
        bool("avs_strict", \.avsStrict, doc: "Address verification: compare the words of street lines too."),
        bool(
            "avs_international",
            \.avsInternational,
            doc: "Match non-US addresses with the Visa international codes (D, B, P, C, I) instead of answering G."
        ),
        ConfigurationKey(
            name: "log_level",
            doc: """
                trace, debug, info, notice, warning, error or critical. At info: one line per connection event \
                and per error, none per successful request. No PAN or security code is ever logged.
                """,
            reloadable: false,
            defaultText: nil,
            set: { configuration, value throws(ConfigurationError) in
                guard logLevels.contains(value) else {
                    throw ConfigurationError(message: "log_level must be " + logLevels.joined(separator: ", "))
                }
                configuration.logLevel = value
            },
            get: { $0.logLevel }
        ),
        ConfigurationKey(
            name: "log_format",
            doc: """
                text (one line per event, as swift-log writes it) or json (one JSON object per line: time, level, \
                label, message, source and the event's fields as keys, for journald and log shippers).
                """,
            reloadable: false,
            defaultText: nil,
            set: { configuration, value throws(ConfigurationError) in
                guard value == "text" || value == "json" else {
                    throw ConfigurationError(message: "log_format must be text or json")
                }
                configuration.logFormat = value
            },
            get: { $0.logFormat }
        ),
        text(
            "keys",
            \.keyFile,
            required: false,
            reloadable: true,
            doc: """
                Card verification keys (CVKs) for CVV2/CVC2 checks: a file of `RANGE KEY [expiry=YYMM|MMYY] \
                [parity=odd|any] [name=LABEL]` lines (see README.md). It must be mode 0600 or 0400 and owned by the \
                daemon's user. Under systemd, prefer the credential: LoadCredential=cardcheck-keys:/etc/cardcheck/keys \
                in a drop-in, which takes the place of this file. Empty: no keys, and codes are answered U.
                """
        ),
        text(
            "brands",
            \.brandsFile,
            required: false,
            reloadable: true,
            doc: """
                Card brands beyond the built-in ones (README.md, "Card data files"): a CSV file with the header \
                `name,csc_name,csc_length,csc_location,luhn[,lengths[,status]]`. Empty: the built-in brands only.
                """
        ),
        text(
            "ranges",
            \.rangesFile,
            required: false,
            reloadable: true,
            doc: """
                Card ranges (BIN and account-range file) that extend and override the built-in table, with issuer \
                country, funding, product, issuer and co-badged networks: a CSV file with the header \
                `low,high,brand,lengths,country,funding,product,issuer,networks` (README.md, "Card data files"). \
                Loaded at start and on reload, swapped whole; a bad line keeps the data in force. Empty: none.
                """
        ),
        text(
            "profiles",
            \.profilesDirectory,
            required: false,
            reloadable: true,
            doc: """
                A directory of merchants' policy profiles: one NAME.conf each, of `REASON = action` and                 `shifted.REASON = action` lines on top of this file's policy; a request names one with its                 `profile` key. Loaded at start and on reload, all or nothing. Empty: none.
                """
        ),
    ]

    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// What the documented file says about `policy.REASON` lines, with commented examples.
    static let policyDoc = """
        Decision policy: the action (accept, review, retry, decline) for any reason. Reloadable. The defaults \
        follow the card networks (see README.md); for example, to decline on AVS N and accept CSC U.         policy.shifted.REASON lines replace a reason's action when 3-D Secure shifted liability to the         issuer (authenticated or attempted, backed by its ECI and value); for example, accept AVS N then:
        """
    static let policyExamples = ["policy.avs_N = decline", "policy.csc_U = accept", "policy.shifted.avs_N = accept"]

    // MARK: Kinds of key

    private static func integer(
        _ name: String,
        _ path: WritableKeyPath<Configuration, Int> & Sendable,
        _ bounds: ClosedRange<Int>,
        defaultText: String? = nil,
        reloadable: Bool,
        doc: String
    ) -> ConfigurationKey {
        ConfigurationKey(
            name: name,
            doc: doc,
            reloadable: reloadable,
            defaultText: defaultText,
            set: { configuration, value throws(ConfigurationError) in
                guard let number = Int(value), bounds.contains(number) else {
                    throw ConfigurationError(
                        message: "\(name) must be a whole number from \(bounds.lowerBound) to \(bounds.upperBound)"
                    )
                }
                configuration[keyPath: path] = number
            },
            get: { String($0[keyPath: path]) }
        )
    }

    private static func bool(
        _ name: String,
        _ path: WritableKeyPath<Configuration, Bool> & Sendable,
        doc: String
    ) -> ConfigurationKey {
        ConfigurationKey(
            name: name,
            doc: doc + " true or false.",
            reloadable: true,
            defaultText: nil,
            set: { configuration, value throws(ConfigurationError) in
                switch value.lowercased() {
                case "true", "yes", "on", "1": configuration[keyPath: path] = true
                case "false", "no", "off", "0": configuration[keyPath: path] = false
                default: throw ConfigurationError(message: "\(name) must be true or false")
                }
            },
            get: { String($0[keyPath: path]) }
        )
    }

    /// Comma-separated names; reloadable (who may connect or generate changes for open connections too).
    private static func list(
        _ name: String,
        _ path: WritableKeyPath<Configuration, [String]> & Sendable,
        doc: String
    ) -> ConfigurationKey {
        ConfigurationKey(
            name: name,
            doc: doc,
            reloadable: true,
            defaultText: nil,
            set: { configuration, value in
                configuration[keyPath: path] = value.split(separator: ",").map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                .filter { !$0.isEmpty }
            },
            get: { $0[keyPath: path].joined(separator: ", ") }
        )
    }

    private static func text(
        _ name: String,
        _ path: WritableKeyPath<Configuration, String> & Sendable,
        required: Bool,
        reloadable: Bool,
        doc: String
    ) -> ConfigurationKey {
        ConfigurationKey(
            name: name,
            doc: doc,
            reloadable: reloadable,
            defaultText: nil,
            set: { configuration, value throws(ConfigurationError) in
                guard !required || !value.isEmpty else { throw ConfigurationError(message: "\(name) needs a value") }
                configuration[keyPath: path] = value
            },
            get: { $0[keyPath: path] }
        )
    }
}

extension Configuration {
    /// The documented configuration file (systemd/cardcheckd.conf): every key with its documentation, and
    /// commented out with its default unless this configuration sets it otherwise, in which case the line
    /// is live. `cardcheckd --documented-config` prints it; `make install` writes it with the packaged socket.
    public var documentedFile: String {
        let defaults = Configuration()
        var lines = [
            "# cardcheckd configuration. Every key, with its default; uncomment to change.",
            "# Lines are `key = value`; `#` starts a comment. Unknown keys are an error (cardcheckd --check-config).",
            "# Command-line flags (--socket, --workers, --log-level) override this file. Keys not marked",
            "# reloadable take effect on the next start; SIGHUP (systemctl reload) applies the others.",
            "# Generated from the daemon's configuration table: cardcheckd --documented-config.",
        ]
        for key in ConfigurationKey.all {
            lines.append("")
            lines += Self.comment(key.doc + (key.reloadable ? " Reloadable." : ""))
            let value = key.get(self)
            lines.append(
                value == key.get(defaults) ? "#\(key.name) = \(key.documentedDefault)" : "\(key.name) = \(value)"
            )
        }
        lines.append("")
        lines += Self.comment(ConfigurationKey.policyDoc)
        lines += ConfigurationKey.policyExamples.map { "#" + $0 } + policyLines
        return lines.map { $0.hasSuffix(" ") ? String($0.dropLast()) : $0 }.joined(separator: "\n") + "\n"
    }

    /// `text` as `# ` lines of at most 110 characters.
    private static func comment(_ text: String) -> [String] {
        var lines: [String] = []
        var line = "#"
        for word in text.split(separator: " ") {
            if line.count + 1 + word.count > 110 {
                lines.append(line)
                line = "#"
            }
            line += " " + word
        }
        lines.append(line)
        return lines
    }
}

extension ConfigurationKey {
    /// cardcheckd.conf(5), in man(7) roff: every key with its default, meaning and whether a reload applies
    /// it, from the same table as the parser and the documented file (`cardcheckd --config-manual`).
    public static var manualPage: String {
        func escaped(_ text: String) -> String {
            // A backslash starts an escape and a line starting with `.` or `'` is a request: neutralise both.
            let text = text.replacingOccurrences(of: "\\", with: "\\e")
            return text.hasPrefix(".") || text.hasPrefix("'") ? "\\&" + text : text
        }
        var lines = [
            ".TH CARDCHECKD.CONF 5 \"\" \"cardcheck\" \"File Formats\"",
            ".SH NAME",
            "cardcheckd.conf \\- configuration of the cardcheckd card check daemon",
            ".SH SYNOPSIS",
            "/etc/cardcheck/cardcheckd.conf",
            ".SH DESCRIPTION",
            escaped(
                "Lines are key = value; # starts a comment. Unknown keys are an error (cardcheckd --check-config "
                    + "prints the effective configuration and exits 78 on an error, naming file and line). "
                    + "Command-line flags (--socket, --workers, --log-level) override the file. Keys not marked "
                    + "reloadable take effect on the next start; SIGHUP (systemctl reload) applies the others."
            ),
            ".SH KEYS",
        ]
        let defaults = Configuration()
        for key in all {
            lines.append(".TP")
            let shown = key.defaultText ?? key.get(defaults)
            lines.append("\\fB\(key.name)\\fR = \(escaped(shown.isEmpty ? "(empty)" : shown))")
            lines.append(escaped(key.doc + (key.reloadable ? " Reloadable." : " Takes effect on the next start.")))
        }
        lines +=
            [
                ".TP", "\\fBpolicy.\\fIREASON\\fR = \\fIaction\\fR",
                escaped(policyDoc.split(whereSeparator: \.isWhitespace).joined(separator: " ")),
                ".SH EXAMPLES",
                ".nf",
            ] + (policyExamples + ["velocity_csc_failures = 3", "log_format = json"]).map(escaped) + [
                ".fi",
                ".SH SEE ALSO",
                "cardcheckd(8), cardcheck(1)",
            ]
        return lines.joined(separator: "\n") + "\n"
    }
}
