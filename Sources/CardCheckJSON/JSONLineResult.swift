import CardCheck

/// Writes results and errors as JSON Lines output objects: the stable output contract of `cardcheck
/// validate --json`, identical whether the engine ran in-process or in the daemon.
///
/// Result keys, always all present and in this order: `masked_pan`, `luhn_valid`, `brand`, `legacy_brand`,
/// `length_valid`, `issuer_country`, `funding`, `product`, `issuer`, `networks`, `expiry_valid`, `csc_presence`, `csc_format_valid`, `csc_result`, `avs_result`, `avs_street_match`,
/// `avs_postal_match`, `three_ds_result`, `liability_shift`, `authentication_value_result`, `action`,
/// `reasons`. A check the request did not ask for is `null`.
/// A failed line is `{"error":{"code":...,"field":...,"message":...}}`.
public enum JSONLineResult {
    public static let keys: [String] = [
        "masked_pan", "luhn_valid", "brand", "legacy_brand", "length_valid", "issuer_country", "funding", "product",
        "issuer", "networks", "expiry_valid", "csc_presence", "csc_format_valid",
        "csc_result", "avs_result", "avs_street_match", "avs_postal_match", "three_ds_result", "liability_shift",
        "authentication_value_result", "action", "reasons",
    ]

    public static func render(_ result: ValidationResult) -> String {
        var json = JSONWriter()
        json.add("masked_pan", result.pan.map { $0.masked.description })
        json.add("luhn_valid", result.pan?.luhnValid)
        let card = result.pan?.card
        json.add("brand", card?.brand.name)
        json.add("legacy_brand", card?.legacyBrand?.name)
        json.add("length_valid", result.pan?.lengthValid)
        json.add("issuer_country", card?.issuerCountry)
        json.add("funding", card?.funding?.name)
        json.add("product", card?.product)
        json.add("issuer", card?.issuer)
        json.add("networks", card.flatMap { $0.networks.isEmpty ? nil : $0.networks.map(\.name) })
        json.add("expiry_valid", result.expiry?.isValid)
        json.add("csc_presence", result.csc?.presence.name)
        json.add("csc_format_valid", result.csc?.formatValid)
        json.add("csc_result", result.csc?.result.map { String($0.letter) })
        json.add("avs_result", result.avs.map { String($0.code.letter) })
        json.add("avs_street_match", result.avs?.streetMatch)
        json.add("avs_postal_match", result.avs?.postalMatch)
        json.add("three_ds_result", result.threeDS?.result.name)
        json.add("liability_shift", result.threeDS?.liabilityShift)
        json.add("authentication_value_result", result.threeDS?.valueResult.map { String($0.letter) })
        json.add("action", result.action.name)
        json.add("reasons", result.reasons.names)
        return json.finished
    }

    public static func render(_ error: JSONLineError) -> String {
        render(errorCode: error.code, field: error.field, message: error.description)
    }

    /// An error object: `{"error":{"code":…,"field":…,"message":…}}`, the one form every error line has
    /// (a line's own, or the daemon's about the connection, such as `line_too_long`).
    public static func render(errorCode code: String, field: String?, message: String) -> String {
        var json = JSONWriter()
        json.add("error") { detail in
            detail.add("code", code)
            detail.add("field", field)
            detail.add("message", message)
        }
        return json.finished
    }
}

/// Turns input lines into output lines with a validator: what `cardcheck validate --local --json` does.
public struct JSONLinesValidator: Sendable {
    public var validator: Validator
    public var today: YearMonth

    public init(validator: Validator, today: YearMonth) {
        self.validator = validator
        self.today = today
    }

    /// The output line for one input line, and whether it is an error.
    public func process(_ line: some StringProtocol) -> (output: String, failed: Bool) {
        do {
            let request = try JSONLineRequest.parse(line)
            do {
                return (JSONLineResult.render(try validator.validate(request, today: today)), false)
            } catch {
                return (JSONLineResult.render(.validation(error)), true)
            }
        } catch {
            return (JSONLineResult.render(error), true)
        }
    }
}
