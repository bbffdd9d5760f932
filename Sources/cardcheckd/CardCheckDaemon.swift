import ArgumentParser
import CProcessControl
import CardCheckServer
import Foundation
import Logging

@main
struct CardCheckDaemon: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cardcheckd",
        abstract: "The cardcheck daemon: card validation over a Unix socket.",
        discussion: "Configuration keys (file lines `key = value`, `#` comments):\n"
            + ConfigurationKey.all.map { "  \($0.name)\($0.reloadable ? " (reloadable)" : ""): \($0.doc)" }.joined(
                separator: "\n"
            )
            + "\n  policy.REASON (reloadable): accept, review, retry or decline for a reason such as policy.avs_N"
            + "\n  policy.shifted.REASON (reloadable): the same, applied when 3-D Secure shifted liability"
            + "\nWith no file and no flags it listens on run/cardcheck.sock under the current directory.",
        version: CardCheckRelease.version
    )

    @Option(help: "Unix socket path (overrides the file's `socket`).") var socket: String?
    @Option(help: "Configuration file.") var config: String?
    @Option(help: "Worker queues (overrides the file's `workers`).") var workers: Int?
    @Option(help: "Log level (overrides the file's `log_level`).") var logLevel: String?
    @Flag(help: "Check the configuration, print it and exit.") var checkConfig = false
    @Flag(
        help: "Print the documented configuration file, with the values the file and flags set uncommented, and exit."
    )
    var documentedConfig = false
    @Flag(help: "Print cardcheckd.conf(5), the manual page of the configuration keys, and exit.") var configManual =
        false

    /// The flags that override the file, as configuration keys.
    var overrides: [(String, String)] {
        [("socket", socket), ("workers", workers.map(String.init)), ("log_level", logLevel)].compactMap { key, value in
            value.map { (key, $0) }
        }
    }

    func run() throws {
        Daemon.blockSignals()  // before any thread exists
        // Card data and keys pass through this process's memory: no core dump may hold them, and no
        // other process of the same user may ptrace it or read its /proc memory.
        if cardcheck_set_non_dumpable() != 0 {
            FileDescriptor.standardError.write(
                "cardcheckd: cannot make the process non-dumpable: \(String(cString: strerror(errno)))\n"
            )
        }
        let (file, overrides) = (config, self.overrides)
        do {
            let configuration = try Daemon.loadConfiguration(file: file, overrides: overrides)
            if configManual {
                print(ConfigurationKey.manualPage, terminator: "")
                return
            }
            if documentedConfig {
                print(configuration.documentedFile, terminator: "")
                return
            }
            if checkConfig {
                print(try Daemon.checkReport(configuration))
                return
            }
            if configuration.logFormat == "json" {
                LoggingSystem.bootstrap(JSONLogHandler.init(label:))
            } else {
                LoggingSystem.bootstrap(StreamLogHandler.standardError)
            }
            var logger = Logger(label: "cardcheckd")
            logger.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
            try Daemon.serve(configuration, logger: logger) {
                try Daemon.loadConfiguration(file: file, overrides: overrides)
            }
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
