import ArgumentParser
import CardCheck
import CardCheckClient
import CardCheckJSON

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Validate one card from flags, or JSON Lines from standard input.",
        discussion: """
            With no card flags, reads one JSON object per line on standard input and writes one JSON result \
            per line on standard output, in order; a bad line gives an error object on its line and the rest \
            go on. Input keys: \(JSONLineRequest.keys.joined(separator: ", ")). Output keys: \
            \(JSONLineResult.keys.joined(separator: ", ")), or error. The output is the same whether the \
            engine runs in-process (--local) or in cardcheckd. Exit status 1 if any line or the card failed \
            to validate, 69 if cardcheckd cannot be reached.
            """
    )

    @OptionGroup var engine: EngineOptions

    @Flag(help: "Write JSON (always, for standard input; by default when standard output is not a terminal).")
    var json = false

    @Option(help: "The card number: digits, optionally with spaces or dashes.") var pan: String?
    @Option(help: ArgumentHelp("Expiry date.", valueName: "MMYY|MM/YY|MM/YYYY")) var expiry: String?
    @Option(help: "Card security code as entered: digits, X (card has no code), I (illegible).") var csc: String?
    @Option(help: "CSC presence indicator: 0 not provided, 1 provided, 2 illegible, 9 not on card.") var cscIndicator:
        Int?
    @Option(help: "Street line the customer entered.") var street: String?
    @Option(help: "Postal code the customer entered.") var postalCode: String?
    @Option(help: "Country the customer entered.") var country: String?
    @Option(help: "Street line on file.") var onFileStreet: String?
    @Option(help: "Postal code on file.") var onFilePostalCode: String?
    @Option(help: "Country on file.") var onFileCountry: String?
    @Option(help: ArgumentHelp("The 3-D Secure outcome received.", valueName: "Y|A|N|U|R|C|D|I"))
    var threeDSStatus: String?
    @Option(help: ArgumentHelp("The 3-D Secure ECI.", valueName: "05|02|...")) var eci: String?
    @Option(help: "The CAVV, AAV or AEVV: base64 of 20 bytes or 40 hex digits.") var authenticationValue: String?
    @Option(help: ArgumentHelp("The 3-D Secure message version.", valueName: "2.2.0")) var threeDSVersion: String?
    @Option(help: ArgumentHelp("The 3-D Secure status reason.", valueName: "NN")) var threeDSStatusReason: String?
    @Option(
        help: ArgumentHelp(
            "The merchant's policy profile, for the card given by options (JSON lines name theirs with `profile`).",
            valueName: "name"
        )
    )
    var profile: String?

    /// Lines in flight to the daemon at once; answers still come out in input order.
    static let window = 1_024

    private var cardFromFlags: ValidationRequest? {
        let onFile = Address(street: onFileStreet, postalCode: onFilePostalCode, country: onFileCountry)
        let request = ValidationRequest(
            pan: pan,
            expiry: expiry,
            csc: csc,
            cscIndicator: cscIndicator,
            address: Address(street: street, postalCode: postalCode, country: country),
            onFileAddress: onFile == Address() ? nil : onFile,
            threeDS: ThreeDSData(
                status: threeDSStatus,
                eci: eci,
                authenticationValue: authenticationValue,
                version: threeDSVersion,
                statusReason: threeDSStatusReason
            )
        )
        if request == ValidationRequest() { return nil }
        var withProfile = request
        withProfile.profile = profile
        return withProfile
    }

    func validate() throws {
        if profile != nil && cardFromFlags == nil {
            throw ValidationError(
                "--profile goes with a card given by options; a JSON line names its own with `profile`"
            )
        }
    }

    func run() async throws {
        guard let request = cardFromFlags else {
            let failures = engine.local ? try runLocalLines() : try await runDaemonLines()
            if failures > 0 { throw ExitCode.failure }
            return
        }
        let outcome: Result<ValidationResult, JSONLineError>
        if engine.local {
            let today = engine.month
            let validator = try engine.validator()
            do throws(CardCheck.ValidationError) {
                outcome = .success(try validator.validate(request, today: today))
            } catch {
                outcome = .failure(.validation(error))
            }
        } else {
            outcome = try await validateWithDaemon(request, client: engine.client())
        }
        let asJSON = json || !Terminal.standardOutputIsTerminal
        switch outcome {
        case let .success(result):
            if asJSON {
                print(JSONLineResult.render(result))
            } else {
                print(HumanReadable.describe(result), terminator: "")
            }
        case let .failure(error):
            if asJSON { print(JSONLineResult.render(error)) }
            Terminal.printError("cardcheck: \(error.code): \(error)")
            throw ExitCode.failure
        }
    }

    private func runLocalLines() throws -> Int {
        let lines = JSONLinesValidator(validator: try engine.validator(), today: engine.month)
        var failures = 0
        while let line = readLine(strippingNewline: true) {
            let (output, failed) = lines.process(line)
            print(output)
            if failed { failures += 1 }
        }
        return failures
    }

    /// Pipelines windows of lines to the daemon and prints their answers in input order.
    private func runDaemonLines() async throws -> Int {
        guard let first = readLine(strippingNewline: true) else { return 0 }
        // The daemon's own JSON Lines: the lines go as they are and the answers come back as they are,
        // the same bytes --local writes. The binary path remains for what JSON Lines on the socket does
        // not carry (the AVS flags, which the daemon's configuration sets there) and for input whose
        // first byte would not choose JSON Lines.
        if engine.flags.isEmpty && first.utf8.first == UInt8(ascii: "{") {
            do throws(JSONLinesStream.Failure) {
                return try JSONLinesStream(
                    socketPath: engine.daemon.socket.socket,
                    timeout: engine.daemon.timeout.seconds
                )
                .run(first: first)
            } catch {
                Terminal.printError("cardcheck: \(error)")
                throw ExitCode(69)
            }
        }
        return try await runDaemonLinesFramed(first: first)
    }

    /// Pipelines windows of lines to the daemon over the binary protocol and prints their answers in input
    /// order.
    private func runDaemonLinesFramed(first: String) async throws -> Int {
        var first: String? = first
        let client = engine.client()
        defer { Task { await client.close() } }
        var failures = 0
        var done = false
        while !done {
            var window: [String] = first.map { [$0] } ?? []
            first = nil
            while window.count < ValidateCommand.window, let line = readLine(strippingNewline: true) {
                window.append(line)
            }
            done = window.count < ValidateCommand.window
            let outputs = try await withThrowingTaskGroup(of: (Int, String, Bool).self) { group in
                for (index, line) in window.enumerated() {
                    group.addTask {
                        let outcome: Result<ValidationResult, JSONLineError>
                        do {
                            outcome = try await validateWithDaemon(try JSONLineRequest.parse(line), client: client)
                        } catch let error as JSONLineError {
                            outcome = .failure(error)
                        }
                        switch outcome {
                        case let .success(result): return (index, JSONLineResult.render(result), false)
                        case let .failure(error): return (index, JSONLineResult.render(error), true)
                        }
                    }
                }
                var outputs = [(String, Bool)](repeating: ("", false), count: window.count)
                for try await (index, output, failed) in group { outputs[index] = (output, failed) }
                return outputs
            }
            for (output, failed) in outputs {
                print(output)
                if failed { failures += 1 }
            }
        }
        return failures
    }

    /// The daemon's answer for one card: a result, a per-card error (as the engine would give it
    /// in-process), or a thrown exit for a daemon that cannot be reached.
    private func validateWithDaemon(
        _ request: ValidationRequest,
        client: CardCheckClient
    ) async throws
        -> Result<ValidationResult, JSONLineError>
    {
        do {
            return .success(try await client.validate(request, options: engine.flags))
        } catch let .server(error) where [.invalidField, .missingField].contains(error.kind) {
            return .failure(.remote(code: error.code, field: error.field, message: error.message))
        } catch {
            throw Terminal.fail(error)
        }
    }
}
