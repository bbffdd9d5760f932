import ArgumentParser
import CProcessControl
import Foundation
import Logging

@main
struct CardCheckDaemon: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cardcheckd",
        abstract: "The cardcheck daemon: card validation over a Unix socket.",
        discussion: "Configuration keys (file lines `key = value`, `#` comments):\n"
            + Configuration.keys.map { "  \($0.name): \($0.help)" }.joined(separator: "\n")
            + "\nWith no file and no flags it listens on run/cardcheck.sock under the current directory."
    )

    @Option(help: "Unix socket path (overrides the file's `socket`).") var socket: String?
    @Option(help: "Configuration file.") var config: String?
    @Option(help: "Worker queues (overrides the file's `workers`).") var workers: Int?
    @Option(help: "Log level (overrides the file's `log_level`).") var logLevel: String?
    @Flag(help: "Check the configuration, print it and exit.") var checkConfig = false

    /// The file, then the flags: at start and again on every SIGHUP.
    static func loadConfiguration(file: String?, socket: String?, workers: Int?, logLevel: String?) throws -> Configuration {
        var configuration = Configuration()
        if let file {
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw ConfigurationError(message: "cannot read \(file): \(error.localizedDescription)")
            }
            try configuration.apply(file: text, name: file)
        }
        if let socket { try configuration.set("socket", to: socket) }
        if let workers { try configuration.set("workers", to: String(workers)) }
        if let logLevel { try configuration.set("log_level", to: logLevel) }
        return configuration
    }

    func run() throws {
        ProcessSignals.block()  // before any thread exists: see ProcessSignals
        // Card data and keys pass through this process's memory: no core dump may hold them, and no
        // other process of the same user may ptrace it or read its /proc memory.
        if cardcheck_set_non_dumpable() != 0 {
            FileDescriptor.standardError.write("cardcheckd: cannot make the process non-dumpable: \(String(cString: strerror(errno)))\n")
        }
        let (config, socket, workers, logLevel) = (self.config, self.socket, self.workers, self.logLevel)
        do {
            let configuration = try CardCheckDaemon.loadConfiguration(file: config, socket: socket, workers: workers, logLevel: logLevel)
            let access = try PeerAccess(configuration)
            let keys = try KeyLoading.load(configuration)
            if checkConfig {
                print(configuration.effectiveLines.joined(separator: "\n"))
                print("# allowed uids: \(access.connect.uids.sorted().map(String.init).joined(separator: ", ")); "
                      + "allowed gids: \(access.connect.gids.sorted().map(String.init).joined(separator: ", "))")
                print(access.generate.isEmpty ? "# CSC_GENERATE: off (nobody listed)"
                      : "# CSC_GENERATE allowed to uids: \(access.generate.uids.sorted().map(String.init).joined(separator: ", ")); "
                        + "gids: \(access.generate.gids.sorted().map(String.init).joined(separator: ", "))")
                if let keys {
                    print("# card verification keys from \(keys.source): "
                          + keys.table.ranges.flatMap { $0.entries.map { "\($0.name) (KCV \($0.key.checkValue))" } }.joined(separator: ", "))
                }
                print("# configuration OK")
                return
            }
            LoggingSystem.bootstrap(StreamLogHandler.standardError)
            var logger = Logger(label: "cardcheckd")
            logger.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
            try Server(configuration: configuration, keys: keys, access: access, logger: logger) {
                try CardCheckDaemon.loadConfiguration(file: config, socket: socket, workers: workers, logLevel: logLevel)
            }.run()
        } catch let error as ConfigurationError {
            FileDescriptor.standardError.write("cardcheckd: configuration: \(error)\n")
            throw ExitCode(78)  // EX_CONFIG
        } catch let error as SocketFile.Failure {
            FileDescriptor.standardError.write("cardcheckd: \(error)\n")
            throw ExitCode(69)  // EX_UNAVAILABLE
        }
    }
}

enum FileDescriptor {
    case standardError

    /// Writes to file descriptor 2 (Swift 6 rejects the global `stderr`).
    func write(_ text: String) {
        var copy = text
        copy.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Foundation.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
