import ArgumentParser
import CardCheck
import CardCheckJSON

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Validate one card from flags, or JSON Lines from standard input.",
        discussion: """
            With no card flags, reads one JSON object per line on standard input and writes one JSON result \
            per line on standard output, in order; a bad line gives an error object on its line and the rest \
            go on. Input keys: \(JSONLineRequest.keys.joined(separator: ", ")). Output keys: \
            \(JSONLineResult.keys.joined(separator: ", ")), or error. Exit status 1 if any line or the card \
            failed to validate.
            """
    )

    @OptionGroup var engine: EngineOptions

    @Flag(help: "Write JSON (always, for standard input; by default when standard output is not a terminal).")
    var json = false

    @Option(help: "The card number: digits, optionally with spaces or dashes.") var pan: String?
    @Option(help: ArgumentHelp("Expiry date.", valueName: "MMYY|MM/YY|MM/YYYY")) var expiry: String?
    @Option(help: "Card security code as entered: digits, X (card has no code), I (illegible).") var csc: String?
    @Option(help: "CSC presence indicator: 0 not provided, 1 provided, 2 illegible, 9 not on card.") var cscIndicator: Int?
    @Option(help: "Street line the customer entered.") var street: String?
    @Option(help: "Postal code the customer entered.") var postalCode: String?
    @Option(help: "Country the customer entered.") var country: String?
    @Option(help: "Street line on file.") var onFileStreet: String?
    @Option(help: "Postal code on file.") var onFilePostalCode: String?
    @Option(help: "Country on file.") var onFileCountry: String?

    private var cardFromFlags: ValidationRequest? {
        let onFile = Address(street: onFileStreet, postalCode: onFilePostalCode, country: onFileCountry)
        let request = ValidationRequest(
            pan: pan, expiry: expiry, csc: csc, cscIndicator: cscIndicator,
            address: Address(street: street, postalCode: postalCode, country: country),
            onFileAddress: onFile == Address() ? nil : onFile)
        return request == ValidationRequest() ? nil : request
    }

    func run() throws {
        let lines = JSONLinesValidator(validator: engine.validator(), today: try engine.month())
        guard let request = cardFromFlags else {
            var failures = 0
            while let line = readLine(strippingNewline: true) {
                let (output, failed) = lines.process(line)
                print(output)
                if failed { failures += 1 }
            }
            if failures > 0 { throw ExitCode.failure }
            return
        }
        do {
            let result = try lines.validator.validate(request, today: lines.today)
            if json || !Terminal.standardOutputIsTerminal {
                print(JSONLineResult.render(result))
            } else {
                print(HumanReadable.describe(result), terminator: "")
            }
        } catch {
            if json || !Terminal.standardOutputIsTerminal { print(JSONLineResult.render(.validation(error))) }
            Terminal.printError("cardcheck: \(error.code): \(error)")
            throw ExitCode.failure
        }
    }
}
