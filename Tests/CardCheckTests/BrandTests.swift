import CardCheck
import CardCheckTestSupport
import Testing

@Suite("Brands by IIN prefix")
struct BrandTests {
    let reference = ReferenceBrandTable.shared

    @Test("the reference table lists every brand the engine knows, with the same lengths and code")
    func metadataMatchesReference() {
        #expect(reference.rows.count == Brand.allCases.count)
        for brand in Brand.allCases {
            let row = reference.row(named: brand.name)
            #expect(brand.validLengths.lengths == row.lengths, "\(brand.name) lengths")
            #expect(brand.securityCodeName == row.codeName, "\(brand.name) code name")
            #expect(brand.securityCodeLength == row.codeLength, "\(brand.name) code length")
        }
    }

    @Test("the engine's table holds exactly the reference ranges")
    func rangesMatchReference() {
        for brand in Brand.allCases {
            let engine = BrandDirectory.standard.ranges.filter { $0.brand == brand }
                .map { "\($0.low)-\($0.high)/\($0.digits)" }
            let expected = reference.row(named: brand.name).ranges.map { "\($0.low)-\($0.high)/\($0.digits)" }
            #expect(engine == expected, "\(brand.name)")
        }
    }

    @Test(
        "both ends, the middle and the neighbours of every range, at every length, agree with brute force",
        arguments: Brand.allCases
    )
    func everyRangeEnd(brand: Brand) throws {
        var generator = SeededGenerator(seed: UInt64(brand.rawValue))
        for range in reference.row(named: brand.name).ranges {
            var probes = [range.low, range.high, (range.low + range.high) / 2]
            var limit = 1
            for _ in 0..<range.digits { limit *= 10 }
            if range.low > 0 { probes.append(range.low - 1) }
            if range.high + 1 < limit { probes.append(range.high + 1) }
            for probe in probes {
                var prefix = String(probe)
                prefix = String(repeating: "0", count: range.digits - prefix.count) + prefix
                for length in PANLengths.allowed {
                    for pan in [
                        Oracle.pan(prefix: prefix, length: length, using: &generator),
                        Oracle.pan(prefix: prefix, length: length, fill: "0"),
                        Oracle.pan(prefix: prefix, length: length, fill: "9"),
                    ] {
                        let result = standardValidator.check(try PAN(pan))
                        let expected = reference.brand(of: pan)
                        #expect(result.brand?.name == expected, "\(pan)")
                        let lengthValid = expected.map { reference.row(named: $0).lengths.contains(length) } ?? true
                        #expect(result.lengthValid == lengthValid, "\(pan)")
                        #expect(result.luhnValid)
                    }
                }
            }
        }
    }

    @Test(
        "the ends of every range, padded, resolve to the range's own brand at each of its lengths",
        arguments: Brand.allCases
    )
    func rangeEndsBelongToTheirBrand(brand: Brand) throws {
        for range in reference.row(named: brand.name).ranges {
            for (end, fill) in [(range.low, Character("0")), (range.high, Character("9"))] {
                let text = String(end)
                let prefix = String(repeating: "0", count: range.digits - text.count) + text
                for length in brand.validLengths.lengths {
                    let pan = Oracle.pan(prefix: prefix, length: length, fill: fill)
                    let result = standardValidator.check(try PAN(pan))
                    #expect(result.brand == brand, "\(pan)")
                    #expect(result.lengthValid, "\(pan)")
                }
            }
        }
    }

    @Test(
        "well-known test cards",
        arguments: [
            ("4111111111111111", Brand.visa), ("4012888888881881", .visa), ("4222222222222", .visa),
            ("5555555555554444", .mastercard), ("2223003122003222", .mastercard), ("2720990000000007", .mastercard),
            ("378282246310005", .americanExpress), ("371449635398431", .americanExpress),
            ("30569309025904", .dinersClub), ("38520000023237", .dinersClub), ("36227206271667", .dinersClub),
            ("6011111111111117", .discover), ("6445644564456445", .discover),
            ("3530111333300000", .jcb), ("3566002020360505", .jcb),
            ("6200000000000005", .unionPay), ("8171999927660000", .unionPay),
            ("6759649826438453", .maestro), ("6767000000000003", .maestro), ("6304000000000000", .maestro),
            ("2200000000000004", .mir), ("6362970000457013", .elo), ("5066991111111118", .elo),
            ("6062826786276634", .hipercard), ("6370950000000005", .hiper), ("5061040000000000005", .verve),
            ("9792131111111110", .troy), ("5895620000000002", .naranja), ("4903000000000006", .visa),
            ("4911000000000003", .visa), ("3088000000000009", .jcb),
            ("3095000000000000", .dinersClub), ("6500570000000000", .elo), ("6362980000000000", .elo),
        ] as [(String, Brand?)]
    )
    func wellKnownCards(pan: String, brand: Brand?) throws {
        let parsed = try PAN(pan)
        #expect(standardValidator.check(parsed).brand == brand)
    }

    @Test("a legacy name never overrides a live brand: Switch's and Solo's old ranges answer Visa and Maestro")
    func legacyNamesNeverWin() throws {
        for prefix in ["4903", "4905", "4911", "4936"] {
            for length in [13, 16, 18, 19] {
                let result = standardValidator.check(try PAN(Oracle.pan(prefix: prefix, length: length, fill: "0")))
                #expect(result.brand == .visa && result.lengthValid, "\(prefix) at \(length) digits")
            }
        }
        // Maestro UK's 6759 and Solo's 6767 at every Maestro length, 12 to 19 (a 12-15-digit card was declined).
        for prefix in ["564182", "633110", "6333", "6759", "6334", "6767"] {
            for length in 12...19 {
                let result = standardValidator.check(try PAN(Oracle.pan(prefix: prefix, length: length, fill: "0")))
                #expect(result.brand == .maestro && result.lengthValid, "\(prefix) at \(length) digits")
            }
        }
        // PayPal's published 13-digit Visa test card.
        let paypal = standardValidator.check(try PAN("4222222222222"))
        #expect(paypal.brand == .visa && paypal.lengthValid && paypal.luhnValid)
        #expect(BrandDirectory.standard.ranges.allSatisfy { $0.brand != .switchUK && $0.brand != .solo })
    }

    @Test("longest prefix wins over shorter ones, and the narrower range breaks a tie")
    func precedence() throws {
        // 401178 (Elo) inside 4 (Visa); 650923 (Troy) inside Elo's 650901-650978 (both six digits);
        // 506100 (Verve) inside Maestro's 504176-506698 (both six digits); 6011 (Discover) inside 6 (Maestro).
        let cases: [(String, Brand)] = [
            ("401178", .elo), ("650923", .troy), ("506100", .verve), ("6011", .discover),
            ("650931", .elo), ("506700", .elo), ("6010", .maestro), ("4011", .visa),
        ]
        for (prefix, brand) in cases {
            #expect(
                standardValidator.check(try PAN(Oracle.pan(prefix: prefix, length: 16, fill: "0"))).brand == brand,
                "\(prefix)"
            )
        }
    }

    @Test("a malformed table entry is a typed error")
    func malformedTable() {
        #expect(throws: BrandTableError.malformedPrefix(brand: .visa, text: " 4-55")) {
            try IINRange.parse("51, 4-55", brand: .visa)
        }
        #expect(throws: BrandTableError.self) { try IINRange.parse("55-51", brand: .visa) }
        #expect(throws: BrandTableError.self) { try IINRange.parse("123456789", brand: .visa) }
        #expect(throws: BrandTableError.self) { try IINRange.parse("4a", brand: .visa) }
    }

    @Test("brand names round-trip")
    func names() {
        for brand in Brand.allCases { #expect(Brand(name: brand.name) == brand) }
        #expect(Brand(name: "amex") == nil)
    }
}
