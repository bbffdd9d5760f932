import Testing

@testable import CardCheck

/// `ThreeDSRules.check` is one body compiled twice: `commonCheck` for what gateways send, answering `nil`
/// for the rest, and `generalCheck` for everything. The two must never disagree where the common one answers.
@Suite("3-D Secure's common check")
struct ThreeDSCommonCheckTests {
    static let statuses: [String?] = [
        nil, "", "YY", "y", "Z", "@", "[", "\u{0}", "Y", "A", "N", "U", "R", "C", "D", "I",
    ]
    static let ecis: [String?] =
        [nil, "", "5", "005", "N0", "N2", "n2", "N1", "0A", "AB", "10", "1/", "/0", "0:", "5\u{00}"]
        + (0...9).map { "0\($0)" }
    static let values: [String?] = [
        nil, "",
        "AAABCXJ5k5YCIxA0cnmTAAAAAAA=",  // authenticated CAVV
        "BwABCXJ5k5YCIxA0cnmTAAAAAAA",  // attempt CAVV, unpadded
        "jHyn-7YFi1EUAREAAAAvNUe6Hv8=",  // URL alphabet
        "jHyn+7YFi1EUAREAAAAvNUe6Hv9=",  // padding bits not zero
        "jHyn+7YFi1EUAREAAAAvNUe6H.8=",  // a character outside the alphabet
        "AAABCXJ5k5YCIxA0cnmTAAAAAAA==",
        "0700010972799396022310347279930000000000",  // hex
        "07000109727993960223103472799300000000zz",
    ]
    static let versions: [String?] = [nil, "2.2.0", "1.0.2", "2.10.0", "2.2", "a.b.c", "2.2.0.1", "2..20"]
    static let reasons: [String?] = [nil, "01", "1", "ab", "123"]
    /// No card, Visa, Mastercard, Maestro, another built-in brand, a file's brand.
    static let brands: [UInt16] = [ThreeDSRules.noCard, 0, 1, 2, 3, 40]

    static func outcome(
        _ body: () throws(ValidationError) -> (check: ThreeDSCheck, reasons: ReasonSet)
    ) -> Result<(ThreeDSCheck, UInt64), ValidationError> {
        do throws(ValidationError) {
            let (check, reasons) = try body()
            return .success((check, reasons.bits))
        } catch {
            return .failure(error)
        }
    }

    @Test("the check's brand classes rest on the registry's first indices: Visa 0, Mastercard 1, Maestro 2")
    func brandIndices() {
        #expect(CardDataRegistry.visaIndex == 0)
        #expect(CardDataRegistry.mastercardIndex == 1)
        #expect(CardDataRegistry.maestroIndex == 2)
        #expect(ThreeDSRules.noCard == CardTextSet.none16)
    }

    @Test("the common check answers what gateways send: every status, a digit ECI, base64, d.d.d, two digits")
    func commonAnswersGatewayRequests() {
        for status in ["Y", "A", "N", "U", "R", "C", "D", "I"] {
            for value in [Self.values[2], Self.values[3], Self.values[4], Self.values[5], nil] {
                let data = ThreeDSData(
                    status: status,
                    eci: "05",
                    authenticationValue: value,
                    version: "2.2.0",
                    statusReason: "01"
                )
                withFields(data) { fields in
                    for brand in Self.brands {
                        #expect(
                            ThreeDSRules.commonCheck(fields, brandIndex: brand, panGiven: true) != nil,
                            "\(status) \(value ?? "-") \(brand)"
                        )
                    }
                }
            }
        }
    }

    @Test("wherever the common check answers, the general one answers the same")
    func commonAgreesWithGeneral() {
        var answered = 0
        var left = 0
        func compare(_ fields: ThreeDSFields, brand: UInt16, panGiven: Bool, label: @autoclosure () -> String) {
            let general = Self.outcome { () throws(ValidationError) in
                try ThreeDSRules.generalCheck(fields, brandIndex: brand, panGiven: panGiven)
            }
            guard let common = ThreeDSRules.commonCheck(fields, brandIndex: brand, panGiven: panGiven) else {
                left += 1
                return
            }
            answered += 1
            guard case .success(let expected) = general else {
                Issue.record("common answered where general threw: \(label())")
                return
            }
            #expect(common.check == expected.0 && common.reasons.bits == expected.1, "\(label())")
        }
        for status in Self.statuses {
            for eci in Self.ecis {
                for value in Self.values {
                    for brand in Self.brands {
                        withFields(ThreeDSData(status: status, eci: eci, authenticationValue: value)) { fields in
                            for panGiven in [false, true] {
                                compare(
                                    fields,
                                    brand: brand,
                                    panGiven: panGiven,
                                    label: "\(status ?? "-") \(eci ?? "-") \(value ?? "-") \(brand)"
                                )
                            }
                        }
                    }
                }
            }
        }
        // Every ASCII byte as the status, and in either place of the ECI (the ECI's word arithmetic borrows).
        for byte in 0...127 {
            let text = String(decoding: [UInt8(byte)], as: UTF8.self)
            for (status, eci) in [(text, "05"), ("Y", "0" + text), ("Y", text + "5"), ("A", text + "1")] {
                withFields(ThreeDSData(status: status, eci: eci, authenticationValue: Self.values[3])) { fields in
                    for brand in Self.brands {
                        compare(fields, brand: brand, panGiven: true, label: "\(status) \(eci) \(brand)")
                    }
                }
            }
        }
        for status in ["Y", "A", "N", "C"] as [String?] {
            for version in Self.versions {
                for reason in Self.reasons {
                    let data = ThreeDSData(
                        status: status,
                        eci: "05",
                        authenticationValue: Self.values[2],
                        version: version,
                        statusReason: reason
                    )
                    withFields(data) { fields in
                        compare(
                            fields,
                            brand: 0,
                            panGiven: true,
                            label: "\(status ?? "-") \(version ?? "-") \(reason ?? "-")"
                        )
                    }
                }
            }
        }
        // The requests gateways send take the common path: every status letter with a digit ECI and a base64
        // value, at least.
        #expect(answered > 8 * 10 * 4 * Self.brands.count * 2)
        #expect(left > 0)
    }

    /// The fields of `data` as the validator borrows them.
    func withFields(_ data: ThreeDSData, _ body: (ThreeDSFields) -> Void) {
        func borrow(_ text: String?, _ next: (UTF8Field) -> Void) {
            guard var text else { return next(nil) }
            text.withUTF8 { next($0) }
        }
        borrow(data.status) { status in
            borrow(data.eci) { eci in
                borrow(data.authenticationValue) { value in
                    borrow(data.version) { version in
                        borrow(data.statusReason) { reason in
                            body(
                                ThreeDSFields(
                                    status: status,
                                    eci: eci,
                                    authenticationValue: value,
                                    version: version,
                                    statusReason: reason
                                )
                            )
                        }
                    }
                }
            }
        }
    }
}
