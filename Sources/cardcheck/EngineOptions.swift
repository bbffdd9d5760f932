import ArgumentParser
import CardCheck
import CardCheckClient
import CardCheckCrypto
import CardCheckServer
import CardCheckWire
import Foundation

/// Where the engine runs and how addresses compare.
struct EngineOptions: ParsableArguments {
    @Flag(help: "Run the validation engine in this process instead of asking cardcheckd.")
    var local = false

    @OptionGroup var daemon: DaemonOptions

    @Flag(help: "Also compare the words of street lines, not only their numbers.")
    var avsStrict = false

    @Flag(help: "Match non-US addresses with alphanumeric postcodes (Visa codes D, B, P, C, I) instead of answering G.")
    var avsInternational = false

    @Option(
        help: ArgumentHelp(
            "Check expiry dates as of this month instead of the current UTC month (with --local).",
            valueName: "YYYY-MM"
        )
    )
    var today: YearMonth?

    @Option(
        help: ArgumentHelp(
            "With --local: verify security codes with this key file, as the daemon's `keys` setting does.",
            valueName: "file"
        )
    )
    var keys: String?

    /// With --local: the card data files the daemon would load.
    @OptionGroup var cardData: CardDataOptions

    @Option(
        help: ArgumentHelp(
            "With --local: merchants' policy profiles, one NAME.conf each, as the daemon's `profiles` setting.",
            valueName: "directory"
        )
    )
    var profiles: String?

    func validate() throws {
        if today != nil && !local { throw ValidationError("--today needs --local: the daemon uses its own clock") }
        if keys != nil && !local { throw ValidationError("--keys needs --local: the daemon uses its own keys") }
        if profiles != nil && !local {
            throw ValidationError("--profiles needs --local: the daemon uses its own profiles")
        }
        if !cardData.isEmpty && !local {
            throw ValidationError("--brands and --ranges need --local: the daemon uses its own card data")
        }
    }

    /// The month expiry dates are judged against.
    var month: YearMonth { today ?? YearMonth(unixTime: Int64(Date().timeIntervalSince1970)) }

    func validator() throws -> Validator {
        var validator = Validator(avsOptions: AVSOptions(strictStreet: avsStrict, international: avsInternational))
        if let keys {
            do {
                let table = try KeyFile.load(keys, ownership: .any)
                validator.securityCodes = table
                validator.authenticationValues = table
            } catch {
                throw ValidationError("--keys \(error)")
            }
        }
        validator.cards = try cardData.directory()
        if let profiles { validator.profiles = try EngineOptions.loadProfiles(profiles) }
        return validator
    }

    /// A profiles directory's `NAME.conf` files, each on top of the default policy (the local engine's).
    static func loadProfiles(_ directory: String) throws -> PolicyProfiles {
        let files: [(name: String, text: String)]
        do { files = try ProfileDirectory.files(at: directory) } catch { throw ValidationError("\(error)") }
        do {
            return try PolicyProfiles.compile(files: files, base: PolicyProfile())
        } catch {
            throw ValidationError("\(directory)/\(error)")
        }
    }

    var flags: CardCheckClient.ValidateOptions {
        var flags: CardCheckClient.ValidateOptions = []
        if avsStrict { flags.insert(.strictStreet) }
        if avsInternational { flags.insert(.internationalAVS) }
        return flags
    }

    func client() -> CardCheckClient { daemon.client() }
}

enum Terminal {
    static var standardOutputIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    /// Writes a line to standard error (file descriptor 2; Swift 6 rejects the global `stderr`).
    static func printError(_ message: String) {
        var line = message + "\n"
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// Exits for a daemon that cannot be reached or answered wrongly (EX_UNAVAILABLE).
    static func fail(_ error: CardCheckClientError) -> ExitCode {
        printError("cardcheck: \(error)")
        return ExitCode(69)
    }
}
