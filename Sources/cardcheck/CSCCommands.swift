import ArgumentParser
import CardCheck
import CardCheckClient
import CardCheckCrypto
import CardCheckJSON
import CardCheckWire
import Foundation

struct CSCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csc",
        abstract: "Generate or verify card verification values (CVV/CVC, CVV2/CVC2, iCVV) with an issuer key.",
        discussion: """
            By default cardcheckd does it with its own keys (CSC_GENERATE, CSC_VERIFY); generating needs \
            this user or group in the daemon's csc_generate_users or csc_generate_groups. With --local it \
            runs in this process, with the key from --cvk (32 hex digits, CVK A then B) or from the key \
            file named by --keys, where the PAN's range picks it. Keys are never printed: the KCV names \
            them. American Express codes have no public method and are not made or checked.
            """,
        subcommands: [GenerateCSCCommand.self, VerifyCSCCommand.self]
    )
}

struct CSCOptions: ParsableArguments {
    @Flag(help: "Compute in this process with --cvk or --keys instead of asking cardcheckd.") var local = false
    @OptionGroup var daemon: DaemonOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "With --local: the card verification key pair, 32 hex digits.") var cvk: String?
    @Option(help: "With --local: a key file (see README.md); the PAN's range chooses the key.") var keys: String?
    @Flag(help: "With --cvk: accept a key without odd parity (some published test keys).") var anyParity = false
    @Option(help: "With --cvk: the order the issuer puts the expiry digits in, YYMM or MMYY.")
    var expiryOrder: CardVerificationValue.ExpiryOrder = .yymm
    @Flag(help: "With --local: go on when the PAN fails the Mod-10 check (published test vectors use such PANs).")
    var ignoreLuhn = false
    @Option(help: "The card number.") var pan: String
    @Option(
        help: ArgumentHelp(
            "The expiry as YYMM, year then month (2812 for December 2028), whatever order the key uses.",
            valueName: "YYMM"
        )
    )
    var expiry: YearFirstExpiry
    @Option(help: "Service code: 000 for CVV2/CVC2 (default), 999 for iCVV, the card's own for CVV/CVC.")
    var serviceCode = ServiceCode(argument: "000")!

    func validate() throws {
        if local {
            guard (cvk == nil) != (keys == nil) else {
                throw ValidationError("with --local, give exactly one of --cvk and --keys")
            }
        } else {
            guard !ignoreLuhn else {
                throw ValidationError("--ignore-luhn goes with --local: cardcheckd always checks Mod-10")
            }
            guard cvk == nil && keys == nil else {
                throw ValidationError("--cvk and --keys go with --local; without it cardcheckd uses its own keys")
            }
            guard expiry.month != nil else {
                throw ValidationError("--expiry is YYMM with a month from 01 to 12, e.g. 2812")
            }
        }
    }

    func client() -> CardCheckClient { daemon.client() }

    /// The card and the keys that cover it (--local).
    func resolve() throws -> (PAN, [KeyTable.Entry]) {
        let card: PAN
        do { card = try PAN(pan) } catch { throw ValidationError("--pan: \(error)") }
        guard card.luhnValid || ignoreLuhn else {
            throw ValidationError(
                "--pan fails the Mod-10 (Luhn) check (--ignore-luhn makes a code anyway, for published test vectors)"
            )
        }
        guard CardDirectory.standard.brand(of: card) != .americanExpress else {
            throw ValidationError(
                "American Express security codes have no public method; cardcheck does not make or check them"
            )
        }
        if let cvk {
            do {
                let key = try CardVerificationKey(hex: cvk, requireOddParity: !anyParity)
                return (card, [KeyTable.Entry(name: key.checkValue, key: key, expiryOrder: expiryOrder)])
            } catch { throw ValidationError("--cvk: \(error)") }
        }
        let table: KeyTable
        do { table = try KeyFile.load(keys ?? "", ownership: .any) } catch { throw ValidationError("--keys \(error)") }
        let entries = table.entries(for: card)
        guard !entries.isEmpty else { throw ValidationError("no key in \(keys ?? "") covers \(card.masked)") }
        return (card, entries)
    }

    /// The four expiry digits in `order`: YYMM as given, or swapped to MMYY. Any digits are taken (some
    /// published vectors use months such as 33).
    func expiryDigits(_ order: CardVerificationValue.ExpiryOrder) -> UInt16 {
        order == .yymm ? expiry.digits : expiry.digits % 100 * 100 + expiry.digits / 100
    }

    var serviceCodeValue: UInt16 { serviceCode.value }

    func print(code: String?, result: String?, key: KeyIdentity?) {
        if output.asJSON {
            var writer = JSONWriter()
            if let code { writer.add("code", code) }
            if let result { writer.add("result", result) }
            if let key {
                writer.add("key", key.name)
                writer.add("kcv", key.checkValue)
            }
            Swift.print(writer.finished)
        } else {
            let named =
                key.map { "  (key \($0.name), KCV \($0.checkValue))" }
                ?? (result == "U" ? "  (no key covers this card)" : "")
            Swift.print((code ?? result ?? "") + named)
        }
    }
}

struct GenerateCSCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Print the code of a card (for test cards and sandboxes)."
    )

    @OptionGroup var options: CSCOptions

    func run() async throws {
        if options.local {
            let (pan, entries) = try options.resolve()
            let entry = entries[0]
            let code = CardVerificationValue.code(
                key: entry.key,
                pan: pan,
                expiryDigits: options.expiryDigits(entry.expiryOrder),
                serviceCode: options.serviceCodeValue
            )
            options.print(code: code.description, result: nil, key: entry.identity)
            return
        }
        let client = options.client()
        // cardcheckd applies its key's digit order itself: it gets the expiry as the card prints it (MM/YY).
        let generated: CardCheckClient.GeneratedSecurityCode
        do {
            generated = try await client.generateSecurityCode(
                pan: options.pan,
                expiry: options.expiry.printed,
                serviceCode: options.serviceCode.text
            )
        } catch {
            throw Terminal.fail(error)
        }
        await client.close()
        options.print(code: generated.code, result: nil, key: generated.key)
    }
}

struct VerifyCSCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a code: M (match) or N (no match), U when no key covers the card; exit status 1 unless M."
    )

    @OptionGroup var options: CSCOptions
    @Option(help: "The code to check (3 digits).") var csc: String

    func validate() throws {
        guard csc.count == 3, csc.allSatisfy(\.isASCII), UInt16(csc) != nil else {
            throw ValidationError("--csc is 3 digits")
        }
    }

    func run() async throws {
        let verification: SecurityCodeVerification
        if options.local {
            let (pan, entries) = try options.resolve()
            let matched = entries.first { entry in
                Array(csc.utf8).withUnsafeBufferPointer {
                    CardVerificationValue.verify(
                        $0,
                        key: entry.key,
                        pan: pan,
                        expiryDigits: options.expiryDigits(entry.expiryOrder),
                        serviceCode: options.serviceCodeValue
                    )
                }
            }
            verification = matched.map { .match($0.identity) } ?? .noMatch
        } else {
            let client = options.client()
            do {
                verification = try await client.verifySecurityCode(
                    pan: options.pan,
                    expiry: options.expiry.printed,
                    csc: csc,
                    serviceCode: options.serviceCode.text
                )
            } catch {
                throw Terminal.fail(error)
            }
            await client.close()
        }
        let key: KeyIdentity? = if case .match(let key) = verification { key } else { nil }
        options.print(code: nil, result: String(verification.result.letter), key: key)
        if key == nil { throw ExitCode(1) }
    }
}
