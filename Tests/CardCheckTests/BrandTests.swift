import CardCheck
import CardCheckTestSupport
import Testing

@Suite("Brands by IIN prefix")
struct BrandTests {
    let reference = ReferenceBrandTable.shared

    @Test("the reference table lists every brand the engine knows, with the same lengths and code")
    func metadataMatchesReference() {
        #expect(reference.rows.map(\.name) == Brand.builtIn.map(\.name))
        for brand in Brand.builtIn {
            let row = reference.row(named: brand.name)
            #expect(brand.isLegacy == row.legacy, "\(brand.name) legacy")
            #expect(brand.validLengths.lengths == row.lengths, "\(brand.name) lengths")
            #expect(brand.securityCodeName == row.codeName, "\(brand.name) code name")
            #expect(brand.securityCodeLength == row.codeLength, "\(brand.name) code length")
        }
    }

    @Test("the engine's table holds exactly the reference ranges")
    func rangesMatchReference() {
        let builtIn = BuiltInCardData.ranges
        for brand in Brand.builtIn {
            // Visa/Dankort's co-badged row (4571) is Visa's, with data the reference table has no column for.
            let engine = builtIn.ranges.filter { builtIn.attributes($0.attributes).brand == brand }
                .filter { !(brand == .visa && $0.low == 4571) }
                .map { "\($0.low)-\($0.high)/\($0.digits)" }
            let expected = reference.row(named: brand.name).ranges.map { "\($0.low)-\($0.high)/\($0.digits)" }
            #expect(engine == expected, "\(brand.name)")
        }
    }

    @Test(
        "both ends, the middle and the neighbours of every range, at every length, agree with brute force",
        arguments: Brand.builtIn
    )
    func everyRangeEnd(brand: Brand) throws {
        var generator = SeededGenerator(seed: UInt64(Brand.builtIn.firstIndex(of: brand)!))
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
                        #expect(result.card?.legacyBrand?.name == reference.legacyBrand(of: pan), "\(pan)")
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
        arguments: Brand.builtIn.filter { !$0.isLegacy }
    )
    func rangeEndsBelongToTheirBrand(brand: Brand) throws {
        for range in reference.row(named: brand.name).ranges {
            for (end, fill) in [(range.low, Character("0")), (range.high, Character("9"))] {
                let text = String(end)
                let prefix = String(repeating: "0", count: range.digits - text.count) + text
                for length in brand.validLengths.lengths {
                    let pan = Oracle.pan(prefix: prefix, length: length, fill: fill)
                    let result = standardValidator.check(try PAN(pan))
                    // Its own brand, unless a more specific range of another brand starts or ends there (Alelo's
                    // 506699 at the start of Elo's 506699-506778), as the reference table says.
                    let expected = reference.brand(of: pan)
                    #expect(result.brand?.name == expected, "\(pan)")
                    if expected == brand.name { #expect(result.lengthValid, "\(pan)") }
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
            ("2200000000000004", .mir), ("6362970000457013", .elo), ("5067071111111112", .elo),
            ("6062826786276634", .hipercard), ("6370950000000005", .hiper), ("5061040000000000005", .verve),
            ("9792131111111110", .troy), ("5895620000000002", .naranja), ("4903000000000006", .visa),
            ("4911000000000003", .visa), ("3088000000000009", .jcb),
            ("3095000000000000", .dinersClub), ("6500570000000000", .elo), ("6362980000000000", .elo),
            // active_merchant's test numbers for the brands added from it.
            ("5019717010103742", Brand(named: "dankort")), ("6007221000000000", Brand(named: "forbrugsforeningen")),
            ("6042012045809847", Brand(named: "cabal")),
            // credit-card-type's Elo test card: Alelo (on the Elo network) in active_merchant and Elo's BIN file.
            ("5066991111111118", Brand(named: "alelo")),
            ("5078601870000127985", .maestro), ("9682010000000000", Brand(named: "mada")),
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
        #expect(paypal.card?.legacyBrand == nil)
        // The legacy name is reported beside the live brand.
        for (prefix, legacy) in [("4903", Brand.switchUK), ("6759", .switchUK), ("6767", .solo), ("564182", .switchUK)]
        {
            let result = standardValidator.check(try PAN(Oracle.pan(prefix: prefix, length: 16, fill: "0")))
            #expect(result.card?.legacyBrand == legacy && result.brand?.isLegacy == false, "\(prefix)")
        }
        #expect(CardDirectory.standard.segmentList.allSatisfy { $0.attributes?.brand.isLegacy != true })
    }

    @Test("longest prefix wins over shorter ones, and the narrower range breaks a tie")
    func precedence() throws {
        // 401178 (Elo) inside 4 (Visa); 650923 (Troy) inside Elo's 650901-650978 (both six digits);
        // 506100 (Verve) inside Maestro's 504176-506698 (both six digits); 6011 (Discover) inside 6 (Maestro).
        let cases: [(String, Brand)] = [
            ("401178", .elo), ("650923", .troy), ("506100", .verve), ("6011", .discover),
            ("650931", .elo), ("506710", .elo), ("6010", .maestro), ("4011", .visa),
        ]
        for (prefix, brand) in cases {
            #expect(
                standardValidator.check(try PAN(Oracle.pan(prefix: prefix, length: 16, fill: "0"))).brand == brand,
                "\(prefix)"
            )
        }
    }

    @Test("brand names round-trip")
    func names() {
        for brand in Brand.builtIn { #expect(Brand.builtIn(named: brand.name) == brand) }
        #expect(Brand.builtIn(named: "amex") == nil)
        #expect(Brand(named: "amex").securityCodeLength == 3)
    }
}
