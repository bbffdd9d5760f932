import CardCheck
import Testing

@Suite("Address verification")
struct AddressMatchingTests {
    static let onFileUS = Address(street: "1600 Pennsylvania Ave NW", postalCode: "20500-0003", country: "US")
    static let onFileUK = Address(street: "10 Downing Street", postalCode: "SW1A 2AA", country: "GB")

    typealias Case = (entered: Address, onFile: Address?, code: AVSCode, street: Bool?, postal: Bool?)

    static let domestic: [Case] = [
        (Address(street: "1600 Pennsylvania Avenue", postalCode: "20500-0003"), onFileUS, .X, true, true),
        (Address(street: "1600 Penn Ave", postalCode: "205000003"), onFileUS, .X, true, true),
        (Address(street: "1600 Pennsylvania Ave NW", postalCode: "20500"), onFileUS, .Y, true, true),
        (Address(street: "1600 Pennsylvania Ave NW", postalCode: "20500-9999"), onFileUS, .Y, true, true),
        (Address(street: "1600 Pennsylvania Ave NW", postalCode: "90210"), onFileUS, .A, true, false),
        (Address(street: "1600 Pennsylvania Ave NW"), onFileUS, .A, true, false),  // A: no ZIP to match
        (Address(street: "1601 Pennsylvania Ave NW", postalCode: "20500-0003"), onFileUS, .W, false, true),
        (Address(street: "1601 Pennsylvania Ave NW", postalCode: "20500"), onFileUS, .Z, false, true),
        (Address(postalCode: "20500"), onFileUS, .Z, false, true),  // Z: "street does not match"
        (Address(street: "1601 Pennsylvania Ave NW", postalCode: "90210"), onFileUS, .N, false, false),
        (Address(postalCode: "2050"), onFileUS, .N, false, false),
        (Address(street: "1600 Pennsylvania Ave NW", postalCode: "20500"), nil, .U, nil, nil),
        (Address(street: "1600 Pennsylvania Ave NW", postalCode: "20500"), Address(country: "US"), .U, nil, nil),
        (Address(street: "1600 Pennsylvania Ave NW"), Address(postalCode: "20500"), .U, nil, nil),
        (Address(street: "10 Downing Street", postalCode: "SW1A 2AA", country: "GB"), onFileUK, .G, nil, nil),
        (
            Address(street: "1600 Pennsylvania Ave NW", postalCode: "20500", country: "US"),
            Address(street: "1600 Pennsylvania Ave NW", postalCode: "20500", country: "CA"), .G, nil, nil
        ),
    ]

    static let international: [Case] = [
        (Address(street: "10 Downing St", postalCode: "sw1a2aa", country: "GB"), onFileUK, .D, true, true),
        (Address(street: "10 Downing St", postalCode: "SW1A 1AA", country: "GB"), onFileUK, .A, true, false),
        (Address(street: "10 Downing St", country: "GB"), onFileUK, .B, true, nil),
        (Address(street: "11 Downing St", postalCode: "SW1A 2AA", country: "GB"), onFileUK, .Z, false, true),
        (Address(postalCode: "SW1A 2AA", country: "GB"), onFileUK, .P, nil, true),
        (Address(street: "11 Downing St", postalCode: "EC1A 1BB", country: "GB"), onFileUK, .C, false, false),
        (Address(street: "10 Downing St"), Address(postalCode: "SW1A 2AA", country: "GB"), .I, nil, nil),
        (Address(street: "10 Downing St"), nil, .U, nil, nil),
        // US addresses still get the domestic codes in international mode.
        (Address(street: "1600 Pennsylvania Ave NW", postalCode: "20500"), onFileUS, .Y, true, true),
    ]

    @Test("domestic (default) mode: X Y A W Z N U G", arguments: domestic)
    func domesticMode(item: Case) {
        let matcher = AddressMatcher()
        #expect(
            matcher.check(entered: item.entered, onFile: item.onFile)
                == AVSCheck(code: item.code, streetMatch: item.street, postalMatch: item.postal)
        )
    }

    @Test("international mode: D B P C I for non-US addresses", arguments: international)
    func internationalMode(item: Case) {
        let matcher = AddressMatcher(options: AVSOptions(international: true))
        #expect(
            matcher.check(entered: item.entered, onFile: item.onFile)
                == AVSCheck(code: item.code, streetMatch: item.street, postalMatch: item.postal)
        )
    }

    @Test("every code the matcher can produce is covered above")
    func coverage() {
        // Every combination of entered and on-file street, postal code and country, run through the
        // matcher in both modes: the codes it produces must be the reference's AVS letters
        // (shared/reference/codes.md: X Y A W Z N U R G, international D B P C I), less R, which a
        // local comparison cannot produce (the issuer's system was unavailable), and each must have a
        // row in the tables above.
        let streets: [String?] = [nil, "10 Downing Street", "11 Downing Street", "1600 Pennsylvania Ave NW"]
        let postcodes: [String?] = [nil, "20500", "20500-0003", "90210", "SW1A 2AA", "EC1A 1BB"]
        let countries: [String?] = [nil, "US", "GB"]
        var produced = Set<AVSCode>()
        for international in [false, true] {
            let matcher = AddressMatcher(options: AVSOptions(international: international))
            for street in streets {
                for postcode in postcodes {
                    for country in countries {
                        let entered = Address(street: street, postalCode: postcode, country: country)
                        for onFileStreet in streets {
                            for onFilePostcode in postcodes {
                                for onFileCountry in countries {
                                    let onFile = Address(
                                        street: onFileStreet,
                                        postalCode: onFilePostcode,
                                        country: onFileCountry
                                    )
                                    if let code = matcher.check(entered: entered, onFile: onFile)?.code {
                                        produced.insert(code)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let reference: Set<AVSCode> = [.X, .Y, .A, .W, .Z, .N, .U, .G, .D, .B, .P, .C, .I]
        #expect(produced == reference)
        #expect(
            produced.isSubset(of: Set((Self.domestic + Self.international).map(\.code))),
            "a produced code has no row"
        )
    }

    @Test("no entered street or postal code: the check was not asked for")
    func notAsked() {
        #expect(AddressMatcher().check(entered: Address(), onFile: Self.onFileUS) == nil)
        #expect(AddressMatcher().check(entered: Address(country: "US"), onFile: Self.onFileUS) == nil)
        #expect(AddressMatcher().check(entered: Address(street: "  "), onFile: Self.onFileUS) == nil)
    }

    @Test(
        "street lines compare by their numeric parts, as issuers do",
        arguments: [
            ("123 Main St", "123 Main Street", true), ("123 Main St", "123 Elm Road", true),
            ("123 Main St Apt 4", "123 Main Street #4", true), ("123 Main St Apt 4", "123 Main St Apt 5", false),
            ("0123 Main St", "123 Main St", true), ("123 Main St", "124 Main St", false),
            ("123 Main St", "Main St 123", true), ("123 4th Ave", "123 Fourth Ave", false),
            ("PO Box 77", "P.O. Box 77", true), ("Main Street", "Main St.", true), ("Main Street", "Elm Street", false),
            ("Main Street", "123 Main Street", false),
        ]
    )
    func numericParts(entered: String, onFile: String, match: Bool) {
        let result = AddressMatcher().check(
            entered: Address(street: entered, postalCode: "12345"),
            onFile: Address(street: onFile, postalCode: "12345")
        )
        #expect(result?.streetMatch == match)
    }

    @Test(
        "strict mode also compares normalised words",
        arguments: [
            ("123 Main St", "123 MAIN STREET", true), ("123 N. Main St.", "123 North Main Street", true),
            ("123 Main St Apt 4", "123 Main Street Unit 4", true), ("123 Main St", "123 Elm Road", false),
            ("1600 Pennsylvania Avenue Northwest", "1600 Pennsylvania Ave NW", true),
            ("12 O'Neil Blvd", "12 ONeil Boulevard", true), ("12 Main St", "12 Main Ave", false),
            ("12 Main St", "12 Main", false), ("12 Kurfürstendamm", "12 KURFüRSTENDAMM", true),
            ("12 Abcdefghijklmnopqrstuvwxyz Rd", "12 abcdefghijklmnopqrstuvwxyz road", true),
            ("12 Abcdefghijklmnopqrstuvwxyz Rd", "12 Xbcdefghijklmnopqrstuvwxyz Rd", false),
        ]
    )
    func strictWords(entered: String, onFile: String, match: Bool) {
        let strict = AddressMatcher(options: AVSOptions(strictStreet: true))
        let result = strict.check(
            entered: Address(street: entered, postalCode: "12345"),
            onFile: Address(street: onFile, postalCode: "12345")
        )
        #expect(result?.streetMatch == match)
    }

    @Test(
        "US ZIP codes compare as digits only",
        arguments: [
            ("12345-6789", "123456789", ZIPMatch.nine), ("12345 6789", "12345-6789", .nine),
            ("12345", "12345-6789", .five), ("12345-6789", "12345", .five), ("12345-0000", "12345-6789", .five),
            ("12346", "12345", ZIPMatch.none), ("1234", "12345", ZIPMatch.none), ("ZIP 12345", "12345", .five),
            // The unrolled shapes and their near misses, which take the general loop.
            ("123456789", "12345-6789", .nine), ("123456780", "12345-6789", .five), ("12a45", "12345", ZIPMatch.none),
            ("12345-678a", "12345-6789", .five), ("12345/6789", "123456789", .nine), ("1234567890", "123456789", .five),
            ("00000", "00000-0000", .five), ("99999-9999", "999999999", .nine), ("", "12345", nil), ("-", "12345", nil),
        ] as [(String, String, ZIPMatch?)]
    )
    func zipDigits(entered: String, onFile: String, match: ZIPMatch?) {
        #expect(PostalCode.compareZIP(entered, onFile) == match)
    }

    @Test(
        "the United States is recognised in its usual spellings",
        arguments: [
            (nil, true), ("", true), ("US", true), ("us", true), (" USA ", true), ("840", true),
            ("United States", true), ("united states of america", true), ("GB", false), ("CA", false),
            ("USB", false), ("U.S.", false),
        ] as [(String?, Bool)]
    )
    func unitedStates(country: String?, domestic: Bool) {
        #expect(Country.isUnitedStates(country) == domestic)
    }
}
