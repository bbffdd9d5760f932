import ArgumentParser
import CardCheck
import CardCheckClient
import CardCheckCrypto
import CardCheckLoad
import Foundation

/// Where cardcheckd listens: shared by every command that talks to it.
struct SocketOptions: ParsableArguments {
    @Option(help: ArgumentHelp("cardcheckd's socket (or CARDCHECK_SOCKET).", valueName: "path"))
    var socket: String = ProcessInfo.processInfo.environment["CARDCHECK_SOCKET"] ?? "run/cardcheck.sock"
}

/// How to reach cardcheckd and how long to wait for each answer.
struct DaemonOptions: ParsableArguments {
    @OptionGroup var socket: SocketOptions
    @Option(help: ArgumentHelp("Seconds to wait for each answer from cardcheckd.", valueName: "seconds"))
    var timeout: PositiveSeconds = PositiveSeconds(5)

    func client() -> CardCheckClient {
        CardCheckClient(
            socketPath: socket.socket,
            timeout: .milliseconds(Int64(timeout.seconds * 1_000)),
            reconnects: false
        )
    }
}

/// The JSON switch of the commands that print either for a person or for a program.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Write JSON (the default when standard output is not a terminal).") var json = false

    var asJSON: Bool { json || !Terminal.standardOutputIsTerminal }
}

// MARK: Values parsed once, into types

/// A positive number of seconds.
struct PositiveSeconds: ExpressibleByArgument, Equatable {
    var seconds: Double

    init(_ seconds: Double) { self.seconds = seconds }

    init?(argument: String) {
        guard let seconds = Double(argument), seconds > 0, seconds.isFinite else { return nil }
        self.seconds = seconds
    }

    var defaultValueDescription: String { String(format: "%g", seconds) }
}

/// `--today YYYY-MM`.
extension YearMonth: ExpressibleByArgument {
    public init?(argument: String) {
        let parts = argument.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]),
            let month = Int(parts[1]),
            let value = YearMonth(year: year, month: month)
        else { return nil }
        self = value
    }
}

/// `--mix full=70,luhn=20,csc=5,interpret=5`.
extension RequestMix: ExpressibleByArgument {
    public init?(argument: String) {
        guard let mix = try? RequestMix(argument) else { return nil }
        self = mix
    }
}

/// `--expiry-order YYMM|MMYY`.
extension CardVerificationValue.ExpiryOrder: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.uppercased()) }
}

/// `--avs A` … `--avs Z`.
extension AVSCode: ExpressibleByArgument {
    public init?(argument: String) {
        guard argument.count == 1, let code = AVSCode(letter: Character(argument)) else { return nil }
        self = code
    }
}

/// `--three-ds-status Y|A|N|U|R|C|D|I` for `interpret`.
extension ThreeDSStatus: ExpressibleByArgument {
    public init?(argument: String) {
        guard argument.count == 1, let status = ThreeDSStatus(letter: Character(argument)) else { return nil }
        self = status
    }
}

/// `--eci NN` for `interpret`: two characters, either brand family's.
struct ECIArgument: ExpressibleByArgument, Equatable {
    let text: String

    init?(argument: String) {
        let eci = Interpretation.eci(argument)
        guard argument.count == 2, eci.visa != nil || eci.mastercard != nil else { return nil }
        text = argument.uppercased()
    }
}

/// `--three-ds-reason NN` for `interpret`: transStatusReason.
struct ThreeDSReasonArgument: ExpressibleByArgument, Equatable {
    let code: String
    let meaning: String

    init?(argument: String) {
        guard let meaning = Interpretation.threeDSStatusReason(argument) else { return nil }
        code = argument
        self.meaning = meaning
    }
}

/// `--cavv-result C` for `interpret`: Visa's CAVV result code.
struct CAVVResultArgument: ExpressibleByArgument, Equatable {
    let interpretation: ThreeDSCodeInterpretation

    init?(argument: String) {
        guard let interpretation = Interpretation.cavvResult(argument) else { return nil }
        self.interpretation = interpretation
    }
}

/// `--csc D|I|M|N|P|S|U|X` for `interpret`.
extension CSCResult: ExpressibleByArgument {
    public init?(argument: String) {
        guard argument.count == 1, let code = CSCResult(letter: Character(argument)) else { return nil }
        self = code
    }
}

/// `--expiry 2812` of the `csc` commands: four digits, year then month. Any month is taken here (some
/// published vectors use months such as 33); the daemon path checks it is a real month.
struct YearFirstExpiry: ExpressibleByArgument, Equatable {
    var digits: UInt16

    init?(argument: String) {
        guard argument.utf8.count == 4, argument.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let digits = UInt16(argument)
        else {
            return nil
        }
        self.digits = digits
    }

    /// As a month, for the daemon; nil for a month outside 01-12.
    var month: YearMonth? { YearMonth(year: 2000 + Int(digits / 100), month: Int(digits % 100)) }
    /// As the card prints it (MM/YY).
    var printed: String { String(format: "%02d/%02d", digits % 100, digits / 100) }
}

/// `--service-code 000`: three digits.
struct ServiceCode: ExpressibleByArgument, Equatable {
    var text: String

    init?(argument: String) {
        guard argument.utf8.count == 3, argument.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        text = argument
    }

    var value: UInt16 { UInt16(text)! }
    var defaultValueDescription: String { text }
}
