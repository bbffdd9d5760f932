import Foundation
import Logging

/// What the `cardcheckd` command calls: the library's whole public face for running a daemon.
public enum Daemon {
    /// The file, then the command-line overrides (`key`, `value` pairs, applied in order): at start and
    /// again on every SIGHUP.
    public static func loadConfiguration(
        file: String?,
        overrides: [(String, String)]
    ) throws(ConfigurationError) -> Configuration {
        var configuration = Configuration()
        if let file {
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw ConfigurationError(message: "cannot read \(file): \(error.localizedDescription)")
            }
            try configuration.apply(file: text, name: file)
        }
        for (key, value) in overrides { try configuration.set(key, to: value) }
        return configuration
    }

    /// What `--check-config` prints: the effective configuration, who may connect and generate, and the
    /// keys by name and check value (never the keys). Throws what starting would throw.
    public static func checkReport(_ configuration: Configuration) throws(ConfigurationError) -> String {
        let access = try PeerAccess(configuration)
        let keys = try KeyLoading.load(configuration)
        let cards = try CardDataLoading.load(configuration)
        let profiles = try ProfileLoading.load(configuration)
        func ids(_ set: Set<UInt32>) -> String { set.sorted().map(String.init).joined(separator: ", ") }
        var lines = configuration.effectiveLines
        lines.append("# allowed uids: \(ids(access.connect.uids)); allowed gids: \(ids(access.connect.gids))")
        lines.append(
            access.generate.isEmpty
                ? "# CSC_GENERATE: off (nobody listed)"
                : "# CSC_GENERATE allowed to uids: \(ids(access.generate.uids)); gids: \(ids(access.generate.gids))"
        )
        let cavv = access.generateAuthenticationValues
        lines.append(
            cavv.isEmpty
                ? "# CAVV_GENERATE: off (nobody listed)"
                : "# CAVV_GENERATE allowed to uids: \(ids(cavv.uids)); gids: \(ids(cavv.gids))"
        )
        if let keys {
            lines.append(
                "# card verification keys from \(keys.source): " + keys.table.keyDescriptions.joined(separator: ", ")
            )
        }
        lines.append("# card data: " + CardDataLoading.summary(cards))
        lines.append("# profiles: " + ProfileLoading.summary(profiles))
        lines.append("# velocity limits: " + configuration.velocitySummary)
        lines.append("# configuration OK")
        return lines.joined(separator: "\n")
    }

    /// Serves until SIGTERM or SIGINT, then drains and returns. `reload` reads the configuration again.
    /// Call ``blockSignals()`` first thing in `main`.
    public static func serve(
        _ configuration: Configuration,
        logger: Logger,
        reload: @escaping @Sendable () throws -> Configuration
    ) throws {
        CardDataLoading.useOwnPagesForLargeTables()
        // Made in a scope of its own: the keys and card data loaded here must not outlive the server's own
        // reference, or a reload could not free them.
        let server = try {
            let access = try PeerAccess(configuration)  // the cheap checks first
            return Server(
                configuration: configuration,
                keys: try KeyLoading.load(configuration),
                cards: try CardDataLoading.load(configuration),
                profiles: try ProfileLoading.load(configuration),
                access: access,
                logger: logger,
                loadConfiguration: reload
            )
        }()
        CardDataLoading.returnFreedMemory()
        try server.run()
    }

    /// Blocks the stop and reload signals; before any thread exists (see ``ProcessSignals``).
    public static func blockSignals() { ProcessSignals.block() }
}
