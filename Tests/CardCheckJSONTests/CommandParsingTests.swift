import ArgumentParser
import CardCheck
import CardCheckCrypto
import CardCheckLoad
import Testing

@testable import cardcheck

/// The command line parsed in this process, as swift-argument-parser tests its own commands: each value
/// is parsed once into its type, and a bad value is a usage error naming the option.
@Suite("cardcheck's options, parsed in process")
struct CommandParsingTests {
    /// The usage message `parse` would print for `arguments`, or nil if they parse.
    func refusal<Command: ParsableCommand>(_ command: Command.Type, _ arguments: [String]) -> String? {
        do {
            _ = try Command.parse(arguments)
            return nil
        } catch {
            return Command.message(for: error)
        }
    }

    @Test("validate: --today is a month and needs --local; the daemon options are shared")
    func validate() throws {
        let local = try ValidateCommand.parse(["--local", "--today", "2026-11", "--avs-strict"])
        #expect(local.engine.local && local.engine.avsStrict)
        #expect(local.engine.today == YearMonth(year: 2026, month: 11))
        #expect(local.engine.month == YearMonth(year: 2026, month: 11))
        #expect(refusal(ValidateCommand.self, ["--today", "2026-11"])?.contains("--today needs --local") == true)
        #expect(
            try ValidateCommand.parse(["--local", "--keys", "/etc/cardcheck/keys"]).engine.keys == "/etc/cardcheck/keys"
        )
        #expect(refusal(ValidateCommand.self, ["--keys", "k"])?.contains("--keys needs --local") == true)
        #expect(refusal(ValidateCommand.self, ["--local", "--today", "2026-13"])?.contains("2026-13") == true)
        #expect(refusal(ValidateCommand.self, ["--local", "--today", "26-11"]) != nil)
        let daemon = try ValidateCommand.parse(["--socket", "/run/x.sock", "--timeout", "0.25"])
        #expect(daemon.engine.daemon.socket.socket == "/run/x.sock")
        #expect(daemon.engine.daemon.timeout == PositiveSeconds(0.25))
    }

    @Test("ping, stats: the socket and a positive timeout; stats' --output goes with --prometheus")
    func daemonCommands() throws {
        let ping = try PingCommand.parse(["--socket", "/tmp/c.sock", "--count", "3"])
        #expect(ping.daemon.socket.socket == "/tmp/c.sock" && ping.count == 3)
        #expect(ping.daemon.timeout == PositiveSeconds(5))
        for bad in ["0", "-1", "soon", "inf"] {
            #expect(refusal(PingCommand.self, ["--timeout", bad]) != nil, "--timeout \(bad)")
        }
        #expect(
            refusal(StatsCommand.self, ["--output", "/tmp/m.prom"])?.contains("--output goes with --prometheus") == true
        )
        #expect(try StatsCommand.parse(["--prometheus", "--output", "/tmp/m.prom"]).outputFile == "/tmp/m.prom")
        #expect(refusal(StatsCommand.self, ["--prometheus", "--json"]) != nil)
    }

    @Test("interpret: --avs and --csc are result letters")
    func interpret() throws {
        let command = try InterpretCommand.parse(["--local", "--avs", "Z", "--csc", "N"])
        #expect(command.avs == .Z && command.csc == .N)
        #expect(refusal(InterpretCommand.self, ["--avs", "ZZ"]) != nil)
        #expect(refusal(InterpretCommand.self, ["--csc", "Q"]) != nil)
        #expect(refusal(InterpretCommand.self, [])?.contains("give --avs, --csc, --three-ds-status") == true)
        let threeDS = try InterpretCommand.parse([
            "--three-ds-status", "R", "--three-ds-reason", "11", "--eci", "n0", "--cavv-result", "a",
        ])
        #expect(threeDS.threeDSStatus == .R && threeDS.threeDSReason?.meaning == "suspected fraud")
        #expect(threeDS.eci?.text == "N0" && threeDS.cavvResult?.interpretation.liabilityShift == true)
        for (option, value) in [
            ("--three-ds-status", "Q"), ("--three-ds-reason", "27"), ("--eci", "09"), ("--cavv-result", "E"),
        ] {
            #expect(refusal(InterpretCommand.self, [option, value]) != nil, "\(option) \(value)")
        }
    }

    @Test("bench: --mix is parsed once into a RequestMix; the socket option is the shared one")
    func bench() throws {
        let command = try BenchCommand.parse(["--mix", "full=70,luhn=30", "--socket", "/tmp/b.sock"])
        #expect(command.mix == (try RequestMix("full=70,luhn=30")))
        #expect(command.socket.socket == "/tmp/b.sock")
        #expect(refusal(BenchCommand.self, ["--mix", "bogus=1"]) != nil)
    }

    @Test("csc: expiry YYMM, service code and expiry order are typed; the daemon path needs a real month")
    func csc() throws {
        let verify = try VerifyCSCCommand.parse(["--pan", "4111111111111111", "--expiry", "2812", "--csc", "123"])
        #expect(verify.options.expiry.printed == "12/28")
        #expect(verify.options.expiry.month == YearMonth(year: 2028, month: 12))
        #expect(verify.options.serviceCode.text == "000")
        #expect(
            refusal(VerifyCSCCommand.self, ["--pan", "4111111111111111", "--expiry", "2813", "--csc", "123"]) != nil
        )
        let local = try GenerateCSCCommand.parse([
            "--local", "--cvk", String(repeating: "0", count: 32), "--expiry-order", "mmyy",
            "--pan", "4111111111111111", "--expiry", "2833", "--service-code", "999",
        ])
        #expect(local.options.expiryOrder == .mmyy)
        #expect(local.options.expiryDigits(.mmyy) == 3328)
        #expect(local.options.serviceCodeValue == 999)
        #expect(
            refusal(
                GenerateCSCCommand.self,
                ["--local", "--cvk", "00", "--expiry-order", "DDMM", "--pan", "4", "--expiry", "2812"]
            ) != nil
        )
        #expect(refusal(GenerateCSCCommand.self, ["--pan", "4", "--expiry", "28125"]) != nil)
        #expect(refusal(GenerateCSCCommand.self, ["--pan", "4", "--expiry", "2812", "--service-code", "12"]) != nil)
    }
}
