import ArgumentParser
import CardCheck
import CardCheckCrypto
import CardCheckJSON
import Foundation

struct CSCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csc",
        abstract: "Generate or verify card verification values (CVV/CVC, CVV2/CVC2, iCVV) with an issuer key.",
        discussion: """
            Runs in this process (--local); the daemon's generate operation is not there yet. The key \
            comes from --cvk (32 hex digits, CVK A then B) or from the key file named by --keys, where \
            the PAN's range picks it. Keys are never printed: the KCV names them.
            """,
        subcommands: [GenerateCSCCommand.self, VerifyCSCCommand.self]
    )
}

struct CSCOptions: ParsableArguments {
    @Flag(help: "Compute in this process (required for now).") var local = false
    @Option(help: "The card verification key pair, 32 hex digits.") var cvk: String?
    @Option(help: "A key file (see README.md); the PAN's range chooses the key.") var keys: String?
    @Flag(help: "Accept a --cvk without odd parity (some published test keys).") var anyParity = false
    @Option(help: "The card number.") var pan: String
    @Option(help: "The expiry as 4 digits in the issuer's order (usually YYMM).") var expiry: String
    @Option(help: "Service code: 000 for CVV2/CVC2 (default), 999 for iCVV, the card's own for CVV/CVC.")
    var serviceCode = "000"
    @Flag(help: "Write JSON.") var json = false

    func validate() throws {
        guard local else { throw ValidationError("give --local: the daemon does not generate or verify codes on request yet") }
        guard (cvk == nil) != (keys == nil) else { throw ValidationError("give exactly one of --cvk and --keys") }
        guard expiry.count == 4, UInt16(expiry) != nil else { throw ValidationError("--expiry is 4 digits, e.g. 2812") }
        guard serviceCode.count == 3, UInt16(serviceCode) != nil else { throw ValidationError("--service-code is 3 digits") }
    }

    /// The card and the key (name, key) that covers it.
    func resolve() throws -> (PAN, [KeyTable.Entry]) {
        let card: PAN
        do { card = try PAN(pan) } catch { throw ValidationError("--pan: \(error)") }
        if let cvk {
            do {
                let key = try CardVerificationKey(hex: cvk, requireOddParity: !anyParity)
                return (card, [KeyTable.Entry(name: key.checkValue, key: key, expiryOrder: .yymm)])
            } catch { throw ValidationError("--cvk: \(error)") }
        }
        let text: String
        do { text = try String(contentsOfFile: keys ?? "", encoding: .utf8) } catch {
            throw ValidationError("cannot read \(keys ?? ""): \(error.localizedDescription)")
        }
        let table: KeyTable
        do { table = try KeyFile.parse(text) } catch { throw ValidationError("\(keys ?? ""): \(error)") }
        let entries = table.entries(for: card)
        guard !entries.isEmpty else { throw ValidationError("no key in \(keys ?? "") covers \(card.masked)") }
        return (card, entries)
    }

    var expiryDigits: UInt16 { UInt16(expiry) ?? 0 }
    var serviceCodeValue: UInt16 { UInt16(serviceCode) ?? 0 }
}

struct GenerateCSCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "Print the code of a card (for test cards and sandboxes).")

    @OptionGroup var options: CSCOptions

    func run() throws {
        let (pan, entries) = try options.resolve()
        let entry = entries[0]
        let code = CardVerificationValue.code(key: entry.key, pan: pan, expiryDigits: options.expiryDigits, serviceCode: options.serviceCodeValue)
        if options.json || !Terminal.standardOutputIsTerminal {
            var writer = JSONWriter()
            writer.add("code", code.description)
            writer.add("key", entry.name)
            writer.add("kcv", entry.key.checkValue)
            print(writer.finished)
        } else {
            print("\(code)  (key \(entry.name), KCV \(entry.key.checkValue))")
        }
    }
}

struct VerifyCSCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check a code: M (match) or N (no match); exit status 1 for N.")

    @OptionGroup var options: CSCOptions
    @Option(help: "The code to check.") var csc: String

    func run() throws {
        let (pan, entries) = try options.resolve()
        let matched = entries.first { entry in
            Array(csc.utf8).withUnsafeBufferPointer {
                CardVerificationValue.verify($0, key: entry.key, pan: pan, expiryDigits: options.expiryDigits,
                                             serviceCode: options.serviceCodeValue)
            }
        }
        if options.json || !Terminal.standardOutputIsTerminal {
            var writer = JSONWriter()
            writer.add("result", matched == nil ? "N" : "M")
            if let matched {
                writer.add("key", matched.name)
                writer.add("kcv", matched.key.checkValue)
            }
            print(writer.finished)
        } else {
            print(matched.map { "M  (key \($0.name), KCV \($0.key.checkValue))" } ?? "N")
        }
        if matched == nil { throw ExitCode(1) }
    }
}
