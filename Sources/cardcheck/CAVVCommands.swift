import ArgumentParser
import CardCheck
import CardCheckClient
import CardCheckCrypto
import CardCheckJSON
import CardCheckWire

struct CAVVCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cavv",
        abstract:
            "Generate or verify 3-D Secure authentication values (Visa CAVV, Mastercard SPA AAV) with an issuer key.",
        discussion: """
            By default cardcheckd does it with its own keys (CAVV_GENERATE, CAVV_VERIFY); generating needs \
            this user or group in the daemon's cavv_generate_users or cavv_generate_groups. With --local it \
            runs in this process with the key file named by --keys (purpose=cavv and purpose=aav lines), \
            where the PAN's range picks the key. Keys are never printed: the KCV names them. Other brands' \
            values (American Express AEVV, Mastercard's 3-D Secure 2 format) have no public method.
            """,
        subcommands: [GenerateCAVVCommand.self, VerifyCAVVCommand.self]
    )
}

struct CAVVOptions: ParsableArguments {
    @Flag(help: "Compute in this process with --keys instead of asking cardcheckd.") var local = false
    @OptionGroup var daemon: DaemonOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "With --local: a key file (see README.md); the PAN's range chooses the key.") var keys: String?
    @Flag(help: "With --local: go on when the PAN fails the Mod-10 check (published test vectors use such PANs).")
    var ignoreLuhn = false
    @Option(help: "The card number.") var pan: String

    func validate() throws {
        if local {
            guard keys != nil else { throw ValidationError("with --local, give the key file with --keys") }
        } else {
            guard !ignoreLuhn else {
                throw ValidationError("--ignore-luhn goes with --local: cardcheckd always checks Mod-10")
            }
            guard keys == nil else {
                throw ValidationError("--keys goes with --local; without it cardcheckd uses its own keys")
            }
        }
    }

    /// The card, its attributes and the key table (--local).
    func resolve() throws -> (PAN, CardAttributes?, KeyTable) {
        let card: PAN
        do { card = try PAN(pan) } catch { throw ValidationError("--pan: \(error)") }
        guard card.luhnValid || ignoreLuhn else {
            throw ValidationError(
                "--pan fails the Mod-10 (Luhn) check (--ignore-luhn goes on anyway, for published test vectors)"
            )
        }
        let table: KeyTable
        do { table = try KeyFile.load(keys ?? "", ownership: .any) } catch { throw ValidationError("--keys \(error)") }
        return (card, CardDirectory.standard.attributes(of: card), table)
    }

    func print(value: AuthenticationValue?, result: String?, key: KeyIdentity?) {
        if output.asJSON {
            var writer = JSONWriter()
            if let value {
                writer.add("authentication_value", value.base64)
                writer.add("hex", value.hex)
            }
            if let result { writer.add("result", result) }
            if let key {
                writer.add("key", key.name)
                writer.add("kcv", key.checkValue)
            }
            Swift.print(writer.finished)
        } else {
            let named =
                key.map { "  (key \($0.name), KCV \($0.checkValue))" }
                ?? (result == "U" ? "  (no key covers this card and value)" : "")
            Swift.print((value.map { "\($0.base64)  hex \($0.hex)" } ?? result ?? "") + named)
        }
    }
}

struct GenerateCAVVCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Print the authentication value an ACS would make for a card (for test harnesses and sandboxes)."
    )

    @OptionGroup var options: CAVVOptions
    @Option(help: "The 3-D Secure status: Y (authenticated) or A (attempted).") var status: String
    @Option(
        help: "Visa: the CAVV key indicator (01-99); Mastercard: the BIN key id (0-15). Default: the range's first key."
    )
    var keyIndicator: String?
    @Option(
        help:
            "Visa: the authentication tracking number (16 digits); Mastercard: the sequence number (8 hex digits). Default: random."
    )
    var transactionNumber: String?
    @Option(help: "Visa: the second factor authentication code, 2 digits (default 00).") var secondFactor: String?
    @Option(help: "Mastercard: the merchant's name (its SHA-1 prefix goes in the AAV).") var merchantName: String?
    @Option(help: "Mastercard: the ACS identifier, 0-7 (default 0).") var acsId: String?
    @Option(help: "Mastercard: the authentication method, 0-3 (default 1 for Y, 0 for A).")
    var authenticationMethod: String?

    var request: AuthenticationValueCodec.Request {
        AuthenticationValueCodec.Request(
            pan: options.pan,
            threeDSStatus: status,
            keyIndicator: keyIndicator,
            transactionNumber: transactionNumber,
            secondFactor: secondFactor,
            merchantName: merchantName,
            acsIdentifier: acsId,
            authenticationMethod: authenticationMethod
        )
    }

    func run() async throws {
        if options.local {
            let (pan, card, table) = try options.resolve()
            do {
                let order = try request.order(visa: card?.isVisa ?? false)
                let issued = try table.issueAuthenticationValue(order, pan: pan, card: card)
                options.print(value: issued.value, result: nil, key: issued.key)
            } catch let error as WireError {
                throw ValidationError(
                    "--\(error.field.map { $0.replacingOccurrences(of: "_", with: "-") } ?? "pan"): \(error.message)"
                )
            } catch let error as AuthenticationValueIssueError {
                throw ValidationError("\(error)")
            }
            return
        }
        let client = options.daemon.client()
        let generated: AuthenticationValueCodec.Generated
        do {
            generated = try await client.generateAuthenticationValue(request)
        } catch {
            throw Terminal.fail(error)
        }
        await client.close()
        options.print(value: generated.value, result: nil, key: generated.key)
    }
}

struct VerifyCAVVCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract:
            "Check an authentication value: M (match) or N (no match), U when no key covers it; exit status 1 unless M."
    )

    @OptionGroup var options: CAVVOptions
    @Option(help: "The CAVV or AAV: base64 of 20 bytes, or 40 hex digits.") var value: String

    func run() async throws {
        let verification: SecurityCodeVerification
        let request = AuthenticationValueCodec.Request(pan: options.pan, authenticationValue: value)
        if options.local {
            let (pan, card, table) = try options.resolve()
            let decoded: AuthenticationValue
            do { decoded = try request.value() } catch { throw ValidationError("--value: \(error.message)") }
            verification = table.authenticationValueVerification(decoded, pan: pan, card: card)
        } else {
            let client = options.daemon.client()
            do {
                verification = try await client.verifyAuthenticationValue(request)
            } catch {
                throw Terminal.fail(error)
            }
            await client.close()
        }
        let key: KeyIdentity? = if case .match(let key) = verification { key } else { nil }
        options.print(value: nil, result: String(verification.result.letter), key: key)
        if key == nil { throw ExitCode(1) }
    }
}
