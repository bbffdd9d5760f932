import CardCheck
import Testing

@Suite("Card security code presence, format and result")
struct SecurityCodeTests {
    typealias Case = (entered: String?, indicator: Int?, presence: CSCPresence, format: Bool?, result: CSCResult?)

    /// The matrix for a brand whose code has `length` digits.
    static func matrix(length: Int) -> [Case] {
        let good = String(repeating: "7", count: length)
        let wrong = String(repeating: "7", count: length == 3 ? 4 : 3)
        return [
            (good, nil, .provided, true, .U), (good, 1, .provided, true, .U),
            (wrong, nil, .provided, false, .P), ("12", nil, .provided, false, .P), ("12a", nil, .provided, false, .P),
            ("12345", nil, .provided, false, .P), (" 123", nil, .provided, false, .P),
            ("X", nil, .notOnCard, nil, .S), ("x", nil, .notOnCard, nil, .S), ("X", 9, .notOnCard, nil, .S),
            ("I", nil, .illegible, nil, .P), ("i", 2, .illegible, nil, .P),
            ("", nil, .notProvided, nil, nil), ("", 0, .notProvided, nil, nil), (nil, 0, .notProvided, nil, nil),
            (nil, 2, .illegible, nil, .P), ("", 2, .illegible, nil, .P),
            (nil, 9, .notOnCard, nil, .S), ("", 9, .notOnCard, nil, .S),
        ]
    }

    @Test("presence and format matrix, per brand", arguments: Brand.builtIn)
    func matrixPerBrand(brand: Brand) throws {
        for item in Self.matrix(length: brand.securityCodeLength) {
            let check = try SecurityCodeRules.check(
                entered: item.entered,
                indicator: item.indicator.flatMap(CSCPresence.init(indicator:)),
                brand: brand
            )
            #expect(
                check == CSCCheck(presence: item.presence, formatValid: item.format, result: item.result),
                "\(brand.name) \(String(describing: item.entered)) \(String(describing: item.indicator))"
            )
        }
    }

    @Test("Amex wants four digits (front), every other brand three (back)")
    func lengths() throws {
        let amex = try SecurityCodeRules.check(entered: "1234", indicator: nil, brand: .americanExpress)
        #expect(amex?.formatValid == true)
        let amexShort = try SecurityCodeRules.check(entered: "123", indicator: nil, brand: .americanExpress)
        #expect(amexShort?.formatValid == false)
        let visaLong = try SecurityCodeRules.check(entered: "1234", indicator: nil, brand: .visa)
        #expect(visaLong?.formatValid == false)
        for entered in ["123", "1234"] {
            let unknown = try SecurityCodeRules.check(entered: entered, indicator: nil, brand: nil)
            #expect(unknown?.formatValid == true, "unknown brand accepts 3 or 4 digits")
        }
    }

    @Test("nothing asked: no check")
    func notAsked() throws {
        #expect(try SecurityCodeRules.check(entered: nil, indicator: nil, brand: .visa) == nil)
    }

    @Test(
        "a value that contradicts the indicator is an error",
        arguments: [
            ("123", CSCPresence.notProvided, CSCPresence.provided), ("123", .illegible, .provided),
            ("123", .notOnCard, .provided), ("X", .provided, .notOnCard), ("X", .illegible, .notOnCard),
            ("I", .notOnCard, .illegible), ("I", .provided, .illegible), ("", .provided, .notProvided),
            ("X", .notProvided, .notOnCard),
        ]
    )
    func contradictions(entered: String, indicator: CSCPresence, stated: CSCPresence) {
        #expect(throws: ValidationError.cscContradiction(indicator: indicator, entered: stated)) {
            try SecurityCodeRules.check(entered: entered, indicator: indicator, brand: .visa)
        }
    }

    @Test("indicator 1 without a value is a contradiction too")
    func providedWithoutValue() {
        #expect(throws: ValidationError.cscContradiction(indicator: .provided, entered: .notProvided)) {
            try SecurityCodeRules.check(entered: nil, indicator: .provided, brand: .visa)
        }
    }

    @Test("only 0, 1, 2 and 9 are indicators")
    func indicatorValues() {
        #expect(CSCPresence.allCases.map(\.rawValue) == [0, 1, 2, 9])
        for value in [-1, 3, 4, 5, 8, 10, 255, 256] { #expect(CSCPresence(indicator: value) == nil) }
    }

    @Test("the code never appears in an error")
    func errorsDoNotLeak() throws {
        do {
            _ = try standardValidator.validate(
                ValidationRequest(pan: "4111111111111111", csc: "987", cscIndicator: 9),
                today: november2026
            )
            Issue.record("expected a contradiction")
        } catch {
            #expect(!error.description.contains("987"))
        }
        do {
            _ = try standardValidator.validate(
                ValidationRequest(pan: "4111111111111111", csc: "987", cscIndicator: 7),
                today: november2026
            )
            Issue.record("expected an invalid indicator")
        } catch {
            #expect(error == .cscIndicatorInvalid(7))
            #expect(!error.description.contains("987"))
        }
    }
}
