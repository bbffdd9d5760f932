import CardCheck
import CardCheckTestSupport
import Foundation
import Testing

@Suite("Card data files: brands and ranges")
struct CardDataTests {
    static let header = CardDataFile.rangesHeader

    static func directory(ranges: String, brands: String? = nil) throws(CardDataError) -> CardDirectory {
        try CardDirectory.compile(
            brandsFile: brands.map { ("brands.csv", Array($0.utf8)) },
            rangesFile: ("ranges.csv", Array(ranges.utf8))
        )
    }

    static func check(_ pan: String, in directory: CardDirectory) throws -> PANCheck {
        try Validator(cards: directory).check(PAN(pan))
    }

    @Test("data/brands.csv and data/ranges.csv are what the engine compiles in (scripts/embed-card-data)")
    func builtInFilesAreEmbedded() throws {
        #expect(try RepositoryFile.text("data/brands.csv") == BuiltInCardData.brandsText)
        #expect(try RepositoryFile.text("data/ranges.csv") == BuiltInCardData.rangesText)
    }

    @Test("a range file's data comes back with the card; an 11-digit account range is more specific than a BIN")
    func attributes() throws {
        let cards = try Self.directory(
            ranges: """
                # a comment, then the header
                \(Self.header)
                411111,411111,visa,16,US,credit,consumer,"First Bank, N.A.",
                41111122,41111122,visa,,GB,prepaid,gift,"Second \"\"Bank\"\"\",
                41111122334,41111122334,visa,,FR,debit,,,cartes-bancaires
                """
        )
        let bin = try Self.check("4111111111111111", in: cards)
        #expect(bin.brand == .visa && bin.lengthValid)
        #expect(bin.card?.issuerCountry == "US" && bin.card?.funding == .credit)
        #expect(bin.card?.product == "consumer" && bin.card?.issuer == "First Bank, N.A.")
        #expect(bin.card?.networks == [])
        // Lengths 16 only on this range: a 19-digit card of it is the wrong length though Visa issues 19.
        #expect(try !Self.check("4111110000000000006", in: cards).lengthValid)
        let eight = try Self.check("4111112200000006", in: cards)
        #expect(eight.card?.issuerCountry == "GB" && eight.card?.funding == .prepaid)
        #expect(eight.card?.issuer == "Second \"Bank\"" && eight.card?.lengths == Brand.visa.validLengths)
        let account = try Self.check("4111112233400008", in: cards)
        #expect(account.card?.issuerCountry == "FR" && account.card?.networks == [Brand(named: "cartes-bancaires")])
        // Outside the file: the built-in table, with no issuer data.
        let other = try Self.check("4012888888881881", in: cards)
        #expect(other.brand == .visa && other.card?.issuerCountry == nil)
    }

    @Test("a file's range beats a built-in one as specific; a built-in range more specific than it still wins")
    func precedenceOverBuiltIn() throws {
        let cards = try Self.directory(
            ranges: """
                \(Self.header)
                4,4,visa,,,debit,,,
                8,8,visa,,,,,,
                401178,401178,mastercard,,,,,,
                """
        )
        #expect(try Self.check("4111111111111111", in: cards).card?.funding == .debit)
        // UnionPay's 810 (3 digits) is more specific than the file's 8; the rest of 8 is the file's.
        #expect(try Self.check("8100000000000008", in: cards).brand == .unionPay)
        #expect(try Self.check("8200000000000007", in: cards).brand == .visa)
        // The built-in Elo row 401178 is as specific as the file's: the file wins.
        #expect(try Self.check("4011780000000004", in: cards).brand == .mastercard)
    }

    @Test("a brands file declares brands a range file can name, with their code and Luhn rule")
    func declaredBrands() throws {
        let cards = try Self.directory(
            ranges: """
                \(Self.header)
                990000,990099,meeza,,EG,debit,,,
                """,
            brands: """
                \(CardDataFile.brandsHeader),lengths
                meeza,CVV,3,back,optional,16;19
                """
        )
        #expect(cards.declaredBrandCount == 1 && cards.fileRangeCount == 1)
        let result = try Validator(cards: cards).validate(
            ValidationRequest(pan: "9900000000000001"),
            today: november2026
        )
        #expect(result.pan?.brand?.name == "meeza" && result.pan?.lengthValid == true)
        #expect(result.pan?.luhnValid == false && result.reasons.names == ["luhn_optional_failed"])
        #expect(result.action == .review)
    }

    @Test("policy on funding and country: reported, accepted by default, acted on when the policy says")
    func attributePolicy() throws {
        let cards = try Self.directory(
            ranges: """
                \(Self.header)
                411111,411111,visa,,GB,prepaid,,,
                """
        )
        var validator = Validator(cards: cards)
        func result(_ country: String?) throws -> ValidationResult {
            try validator.validate(
                ValidationRequest(pan: "4111111111111111", address: Address(country: country)),
                today: november2026
            )
        }
        #expect(try result("US").action == .accept && result("US").reasons.isEmpty)
        validator.policy[.fundingPrepaid] = .review
        validator.policy[.countryMismatch] = .decline
        #expect(try result("GB").reasons.names == ["funding_prepaid"])
        for entered in ["gb", "GBR", "826", " GB "] {
            let answer = try result(entered)
            #expect(answer.action == .review, "\(entered)")
        }
        for entered in ["US", "usa", "840", "United States", "FRA", "250", "de"] {
            let answer = try result(entered)
            #expect(answer.reasons.names == ["funding_prepaid", "country_mismatch"], "\(entered)")
        }
        // No entered country, or one that is not a code: nothing to compare.
        for entered in [nil, "", "Great Britain", "XYZ"] as [String?] {
            let answer = try result(entered)
            #expect(answer.reasons.names == ["funding_prepaid"], "\(String(describing: entered))")
        }
    }

    @Test(
        "a bad line is an error naming the file and line",
        arguments: [
            ("411111,411111,visa,,,,,", "ranges.csv:2: expected 9 columns, found 8"),
            ("411111,4111111,visa,,,,,,", "ranges.csv:2: low and high must have the same number of digits (6 and 7)"),
            ("411112,411111,visa,,,,,,", "ranges.csv:2: low must not be above high"),
            ("411111,411111,amex,,,,,,", "ranges.csv:2: unknown brand 'amex' (declare it in a brands file)"),
            ("411111,411111,visa,11,,,,,", "ranges.csv:2: lengths must be like 16, 13;16;19 or 12-19, within 12 to 19"),
            ("411111,411111,visa,,ZZ,,,,", "ranges.csv:2: country 'ZZ' is not an ISO 3166-1 alpha-2 code (upper case)"),
            ("411111,411111,visa,,us,,,,", "ranges.csv:2: country 'us' is not an ISO 3166-1 alpha-2 code (upper case)"),
            (
                "411111,411111,visa,,,gift,,,",
                "ranges.csv:2: funding must be credit, debit, prepaid, charge, deferred_debit or empty"
            ),
            (
                "411111,411111,visa,,,,,,paypal",
                "ranges.csv:2: unknown network brand 'paypal' (declare it in a brands file)"
            ),
            ("411111,411111,visa,,,,,,visa", "ranges.csv:2: network 'visa' repeats the brand or another network"),
            (
                "411111,411111,visa,,,,,,mastercard;american-express;diners-club;discover;jcb;unionpay;maestro;elo;"
                    + "mir;hiper;hipercard;naranja;verve;troy;dankort;forbrugsforeningen;cabal",
                "ranges.csv:2: at most 16 networks"
            ),
            ("4a1111,411111,visa,,,,,,", "ranges.csv:2: low and high must be digits only"),
            ("411111111111,411111111111,visa,,,,,,", "ranges.csv:2: a prefix has at most 11 digits (12 given)"),
            ("411111,411111,visa,,,,\"open,,", "ranges.csv:2: a quote is not closed"),
            (
                "411111,411111,switch,,GB,,,,",
                "ranges.csv:2: a legacy brand's row names only the brand: the card's data comes from its live range"
            ),
            (
                "411110,411119,visa,,US,,,,\n411115,411124,visa,,GB,,,,",
                "ranges.csv:3: range 411115-411124 overlaps 411110-411119 of line 2, equally specific, with different data"
            ),
        ]
    )
    func badRangeLines(line: String, message: String) {
        #expect(throws: CardDataError.self) { try Self.directory(ranges: "\(Self.header)\n\(line)\n") }
        do {
            _ = try Self.directory(ranges: "\(Self.header)\n\(line)\n")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test("overlaps that are not conflicts: equal data, or different widths (the narrower wins)")
    func acceptedOverlaps() throws {
        let cards = try Self.directory(
            ranges: """
                \(Self.header)
                411110,411119,visa,,US,,,,
                411115,411124,visa,,US,,,,
                411112,411113,visa,,GB,,,,
                """
        )
        #expect(try Self.check("4111150000000005", in: cards).card?.issuerCountry == "US")
        #expect(try Self.check("4111120000000007", in: cards).card?.issuerCountry == "GB")
        #expect(try Self.check("4111240000000008", in: cards).card?.issuerCountry == "US")
    }

    @Test(
        "a bad brands line is an error naming the file and line",
        arguments: [
            ("visa,CVV,3,back,required", "brands.csv:2: brand 'visa' is already defined (built in)"),
            ("Meeza,CVV,3,back,required", "brands.csv:2: brand name 'Meeza' must be 1 to 32 of a-z, 0-9 and -"),
            ("meeza,CVV,5,back,required", "brands.csv:2: csc_length must be 3 or 4"),
            ("meeza,CVV,3,side,required", "brands.csv:2: csc_location must be front or back"),
            ("meeza,CVV,3,back,sometimes", "brands.csv:2: luhn must be required or optional"),
            ("meeza,CVV,3,back", "brands.csv:2: expected 5 columns, found 4"),
            ("meeza,CVV,3,back,required\nmeeza,CVV,3,back,required", "brands.csv:3: brand 'meeza' is already defined"),
        ]
    )
    func badBrandLines(line: String, message: String) {
        do {
            _ = try Self.directory(ranges: "\(Self.header)\n", brands: "\(CardDataFile.brandsHeader)\n\(line)\n")
            Issue.record("accepted: \(line)")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test("a file without the header is refused")
    func header() {
        do {
            _ = try Self.directory(ranges: "low,high,brand\n411111,411111,visa\n")
            Issue.record("accepted")
        } catch {
            #expect(error.description == "ranges.csv:1: the header must be '\(Self.header)'")
        }
    }

    @Test("property: the compiled directory agrees with brute force over random nested and overlapping ranges")
    func agreesWithBruteForce() throws {
        var generator = SeededGenerator(seed: 0x5EED)
        let countries = ["US", "GB", "FR", "DE", "BR", "JP"]
        struct Row {
            var low: UInt64
            var high: UInt64
            var digits: Int
            var country: String
            var line: Int
        }
        var rows: [Row] = []
        var text = Self.header + "\n"
        // Ranges under a few BINs so that they nest and overlap; equal width and digits get equal data to stay
        // clear of conflicts (the country is a function of digits and width).
        while rows.count < 1_500 {
            let digits = Int.random(in: 6...11, using: &generator)
            var scale: UInt64 = 1
            for _ in 0..<(digits - 6) { scale *= 10 }
            let bin = UInt64([411111, 411112, 555555, 601100][Int.random(in: 0..<4, using: &generator)])
            let low = bin * scale + UInt64.random(in: 0..<scale, using: &generator)
            let width = UInt64.random(in: 0...min(scale * 2, 50), using: &generator)
            let high = min(low + width, (bin + 1) * scale - 1)
            let country = countries[(digits * 7 + Int(high - low)) % countries.count]
            rows.append(Row(low: low, high: high, digits: digits, country: country, line: rows.count + 2))
            text += "\(low),\(high),visa,,\(country),,,,\n"
        }
        let cards = try Self.directory(ranges: text)
        func bruteForce(_ digits: String) -> String? {
            var best: Row?
            for row in rows {
                let prefix = UInt64(digits.prefix(row.digits))!
                guard row.low <= prefix && prefix <= row.high else { continue }
                if let current = best {
                    let better = (row.digits, current.high - current.low) > (current.digits, row.high - row.low)
                    if !better { continue }
                }
                best = row
            }
            return best?.country
        }
        for row in rows.prefix(600) {
            for end in [row.low, row.high, row.low &- 1, row.high + 1] {
                let prefix = String(end)
                guard prefix.count == row.digits else { continue }
                for fill in ["0", "9"] as [Character] {
                    let pan = Oracle.pan(prefix: prefix, length: 16, fill: fill)
                    #expect(try Self.check(pan, in: cards).card?.issuerCountry == bruteForce(pan), "\(pan)")
                }
            }
        }
    }

    @Test(
        "a batch's lookahead finds what the lookup finds, at the table's ends too; a finding for another PAN or directory is ignored"
    )
    func lookaheadFindsWhatLookupFinds() throws {
        // Mixed blocks of every width (one wider than the lookahead's window), uniform ones, and the ends.
        var text = Self.header + "\n0000000000,0000000009,visa,,US,,,,\n9999999990,9999999999,visa,,GB,,,,\n"
        for index in 0..<40 {
            text +=
                "41111100\(String(format: "%03d", index * 2)),41111100\(String(format: "%03d", index * 2)),visa,,FR,,,,\n"
        }
        for index in 0..<5 { text += "5555550\(index),5555550\(index),mastercard,,DE,debit,gold,Issuer,\n" }
        // The last 6-digit block of a 4-digit one (its next is in the next 4-digit block), mixed.
        for index in 0..<3 { text += "4111990000\(index * 3),4111990000\(index * 3),visa,,IT,,,,\n" }
        let cards = try Self.directory(ranges: text)
        var generator = SeededGenerator(seed: 0x100C)
        var prefixes: [UInt64] = [0, 9_999_999, 99_999_999_999, 100_000_000_000, .max, 41_111_100_000, 41_111_100_079]
        while prefixes.count < 4 * CardDirectory.lookaheadWidth {
            prefixes.append(
                [41_111_100_000, 55_555_500_000, 0, 41_119_900_000][prefixes.count % 4]
                    + UInt64.random(in: 0..<100, using: &generator)
            )
        }
        func pan(_ prefix: UInt64) -> PAN {
            try! PAN(Oracle.pan(prefix: String(format: "%011llu", prefix), length: 16, fill: "0"))
        }
        var found = [CardDirectory.Found](repeating: .nothing, count: prefixes.count)
        for start in stride(from: 0, to: prefixes.count, by: CardDirectory.lookaheadWidth) {
            let end = min(prefixes.count, start + CardDirectory.lookaheadWidth)
            prefixes[start..<end].withUnsafeBufferPointer { window in
                found.withUnsafeMutableBufferPointer {
                    cards.lookAhead(prefixes: window, found: $0.baseAddress! + start)
                }
            }
        }
        var compared = 0
        for (prefix, finding) in zip(prefixes, found) where prefix < 100_000_000_000 {
            let card = pan(prefix)
            #expect(cards.attributes(of: card, lookedUp: finding) == cards.attributes(of: card), "\(prefix)")
            compared += 1
        }
        #expect(compared > 3 * CardDirectory.lookaheadWidth)
        // Beyond the width, none: what the window holds is untouched.
        var beyond = [CardDirectory.Found](repeating: .nothing, count: prefixes.count)
        prefixes.withUnsafeBufferPointer { all in
            beyond.withUnsafeMutableBufferPointer { cards.lookAhead(prefixes: all, found: $0.baseAddress!) }
        }
        #expect(beyond[..<CardDirectory.lookaheadWidth] == found[..<CardDirectory.lookaheadWidth])
        #expect(beyond[CardDirectory.lookaheadWidth...].allSatisfy { $0 == .nothing })

        // A finding is taken only for its own PAN's eleven digits and its own directory. Both directories
        // have 41111100000 in a mixed block, at different segments, with different data.
        let fr = found[5]  // 41_111_100_000
        let other = try Self.directory(
            ranges: Self.header + "\n4111110000,4111110000,visa,,GB,,,,\n41111100001,41111100002,visa,,US,,,,\n"
        )
        #expect(other.attributes(of: pan(41_111_100_000), lookedUp: fr)?.issuerCountry == "GB")
        #expect(cards.attributes(of: pan(41_111_100_000), lookedUp: fr)?.issuerCountry == "FR")
        #expect(cards.attributes(of: pan(41_111_100_001), lookedUp: fr) == cards.attributes(of: pan(41_111_100_001)))
        #expect(cards.attributes(of: pan(41_111_100_001))?.issuerCountry == nil)
        #expect(found.contains { $0 == .nothing } == false)
        #expect(
            zip(prefixes, found).contains { prefix, finding in
                prefix / 1_000_000 == 41_119
                    && cards.attributes(of: pan(prefix), lookedUp: finding)?.issuerCountry == "IT"
            }
        )
    }

    @Test("only a directory that outgrows the caches is fetched ahead: the built-in one is not, 40,000 ranges are")
    func fetchesAheadWhenLarge() throws {
        #expect(!CardDirectory.standard.fetchesAhead)
        var text = Self.header + "\n"
        // One 11-digit range per account, every other one: 80,000 segments and 40,000 records, over 1 MiB.
        for index in 0..<40_000 {
            text +=
                "4\(String(format: "%010d", index * 2)),4\(String(format: "%010d", index * 2)),visa,,US,,,Issuer \(index),\n"
        }
        let cards = try Self.directory(ranges: text)
        #expect(cards.fetchesAhead)
        #expect(
            try Self.check(Oracle.pan(prefix: "40000079998", length: 16, fill: "0"), in: cards).card?.issuer
                == "Issuer 39999"
        )
        #expect(try Self.check(Oracle.pan(prefix: "40000079999", length: 16, fill: "0"), in: cards).card?.issuer == nil)
        #expect(
            !(try Self.directory(
                ranges: String(text.prefix(20_000)).components(separatedBy: "\n").dropLast().joined(separator: "\n")
                    + "\n"
            )).fetchesAhead
        )
    }

    @Test("a PAN's first eleven digits for the lookahead: only from a PAN's length of ASCII digits")
    func lookaheadPrefix() {
        func prefix(_ text: String) -> UInt64? {
            Array(text.utf8).withUnsafeBytes { CardDirectory.prefix11(digits: $0) }
        }
        #expect(prefix("4111111111111111") == 41_111_111_111)
        #expect(prefix("378282246310005") == 37_828_224_631)
        #expect(prefix("6011000990139424000") == 60_110_009_901)
        #expect(prefix("12345678901") == nil)  // 11 digits: too short for a PAN
        #expect(prefix("41111111111111111111") == nil)  // 20
        #expect(prefix("4111 1111 1111 1111") == nil)
        #expect(prefix("41111/1111111111") == nil)
        #expect(prefix("4111111111111x11") == 41_111_111_111)  // a hint: the parser refuses it later
        // Against digit by digit, over bytes next to the digits' (the word-wise test's edge cases) and digits.
        var generator = SeededGenerator(seed: 0xD161)
        let alphabet: [UInt8] = Array("0123456789".utf8) + [0x2F, 0x3A, 0x20, 0x00, 0xFA, 0xFF, 0x36, 0x39, 0x29, 0xC9]
        for _ in 0..<20_000 {
            let digitsOnly = Bool.random(using: &generator)
            let bytes = (0..<Int.random(in: 11...20, using: &generator)).map { _ in
                digitsOnly && Int.random(in: 0..<30, using: &generator) != 0
                    ? UInt8(ascii: "0") + UInt8.random(in: 0...9, using: &generator)
                    : alphabet.randomElement(using: &generator)!
            }
            let expected: UInt64? =
                PAN.digitRange.contains(bytes.count) && bytes.prefix(11).allSatisfy { (0x30...0x39).contains($0) }
                ? UInt64(String(decoding: bytes.prefix(11), as: UTF8.self)) : nil
            #expect(bytes.withUnsafeBytes { CardDirectory.prefix11(digits: $0) } == expected, "\(bytes)")
        }
    }
}
