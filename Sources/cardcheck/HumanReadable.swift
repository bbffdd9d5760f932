import CardCheck

/// The terminal rendering of a result: one line per check that was asked for.
enum HumanReadable {
    static func describe(_ result: ValidationResult) -> String {
        var lines: [(String, String)] = []
        if let pan = result.pan {
            lines.append(
                (
                    "card",
                    [
                        pan.masked.description,
                        pan.brand?.name ?? "unknown brand",
                        pan.luhnValid ? "luhn ok" : "LUHN FAILED",
                        pan.lengthValid ? "length ok" : "LENGTH INVALID for brand",
                    ].joined(separator: "  ")
                )
            )
            if let card = pan.card, card.hasIssuerData {
                var issuer: [String] = []
                if let legacy = card.legacyBrand { issuer.append("once \(legacy.name)") }
                if let country = card.issuerCountry { issuer.append(country) }
                if let funding = card.funding { issuer.append(funding.name) }
                if let product = card.product { issuer.append(product) }
                if let name = card.issuer { issuer.append(name) }
                if !card.networks.isEmpty {
                    issuer.append("co-badged " + card.networks.map(\.name).joined(separator: ", "))
                }
                lines.append(("issuer", issuer.joined(separator: "  ")))
            }
        }
        if let expiry = result.expiry {
            let text =
                switch expiry {
                case .valid: "valid"
                case .malformed: "MALFORMED (MMYY, MM/YY or MM/YYYY)"
                case .expired: "EXPIRED"
                case .tooFarAhead: "TOO FAR AHEAD (over 20 years)"
                }
            lines.append(("expiry", text))
        }
        if let csc = result.csc {
            var text = csc.presence.name.replacingUnderscores
            if let format = csc.formatValid { text += format ? ", format ok" : ", FORMAT INVALID" }
            if let code = csc.result { text += ", result \(code.letter) (\(Interpretation.csc(code).meaning))" }
            lines.append(("csc", text))
        }
        if let avs = result.avs {
            lines.append(("avs", "\(avs.code.letter) (\(Interpretation.avs(avs.code).meaning))"))
        }
        if let threeDS = result.threeDS {
            let shift = threeDS.liabilityShift ? "liability shifts to the issuer" : "no liability shift"
            lines.append(("3ds", "\(threeDS.result.name.replacingUnderscores), \(shift)"))
        }
        lines.append(("action", result.action.name))
        lines.append(("reasons", result.reasons.isEmpty ? "-" : result.reasons.names.joined(separator: ", ")))
        return lines.map { label, text in
            label + String(repeating: " ", count: 9 - label.count) + text + "\n"
        }.joined()
    }
}

extension String {
    var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
}
