import ArgumentParser
import CardCheck
import Foundation

/// Options that shape the engine: where it runs and how addresses compare.
struct EngineOptions: ParsableArguments {
    @Flag(help: "Run the validation engine in this process instead of asking cardcheckd.")
    var local = false

    @Flag(help: "Also compare the words of street lines, not only their numbers.")
    var avsStrict = false

    @Flag(help: "Match non-US addresses with alphanumeric postcodes (Visa codes D, B, P, C, I) instead of answering G.")
    var avsInternational = false

    @Option(help: ArgumentHelp("Check expiry dates as of this month instead of the current UTC month.", valueName: "YYYY-MM"))
    var today: String?

    func validate() throws {
        guard local else {
            throw ValidationError("the daemon path needs cardcheckd, which is not part of this build yet: use --local")
        }
        if today != nil { _ = try month() }
    }

    func month() throws -> YearMonth {
        guard let today else { return YearMonth(unixTime: Int64(Date().timeIntervalSince1970)) }
        let parts = today.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2,
              let year = Int(parts[0]), let monthNumber = Int(parts[1]),
              let month = YearMonth(year: year, month: monthNumber)
        else { throw ValidationError("--today must be YYYY-MM, for example 2026-11") }
        return month
    }

    func validator() -> Validator {
        Validator(avsOptions: AVSOptions(strictStreet: avsStrict, international: avsInternational))
    }
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
}
