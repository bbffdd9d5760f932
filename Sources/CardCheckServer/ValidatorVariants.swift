import CardCheck
import CardCheckWire

/// The engine in the four variants a `VALIDATE` can ask for: the configured options, plus strict street
/// matching and/or international AVS as the request's flags add them. Made once per configuration.
///
/// A final class with `let` properties, so that the request path calls the engine **in place**: a
/// `Validator` taken out of an array is a copy (a retain and a release of each reference it holds,
/// its brand table and key table among them) on every request.
final class ValidatorVariants: Sendable {
    let configured: Validator
    let strictStreet: Validator
    let international: Validator
    let strictStreetInternational: Validator

    init(_ validator: Validator) {
        func variant(strictStreet: Bool, international: Bool) -> Validator {
            var variant = validator
            if strictStreet { variant.addressMatcher.options.strictStreet = true }
            if international { variant.addressMatcher.options.international = true }
            return variant
        }
        configured = validator
        strictStreet = variant(strictStreet: true, international: false)
        international = variant(strictStreet: false, international: true)
        strictStreetInternational = variant(strictStreet: true, international: true)
    }

    /// Validates with the variant `flags` select.
    func validate(
        _ fields: RequestFields,
        today: YearMonth,
        flags: ValidateFlags,
        lookedUp: CardDirectory.Found = .nothing
    ) throws(ValidationError) -> ValidationResult {
        switch (flags.contains(.strictStreet), flags.contains(.internationalAVS)) {
        case (false, false): try configured.validate(fields, today: today, lookedUp: lookedUp)
        case (true, false): try strictStreet.validate(fields, today: today, lookedUp: lookedUp)
        case (false, true): try international.validate(fields, today: today, lookedUp: lookedUp)
        case (true, true): try strictStreetInternational.validate(fields, today: today, lookedUp: lookedUp)
        }
    }
}
