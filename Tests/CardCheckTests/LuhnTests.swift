import CardCheck
import CardCheckTestSupport
import PropertyBased
import Testing

@Suite("Luhn (Mod 10)")
struct LuhnTests {
    static let validPANs = [
        "4111111111111111", "4012888888881881", "5555555555554444", "5105105105105100", "2223003122003222",
        "378282246310005", "371449635398431", "6011111111111117", "3530111333300000", "30569309025904",
        "6200000000000005", "6759649826438453", "36227206271667", "4222222222222", "6304000000000000",
    ]

    @Test("the reference cards are valid to the engine and to the textbook algorithm", arguments: validPANs)
    func referenceCardsPass(pan: String) throws {
        #expect(Oracle.luhnValid(pan))
        #expect(try PAN(pan).luhnValid)
        #expect(Luhn.isValid(pan))
    }

    @Test("every single-digit substitution is detected", arguments: validPANs)
    func substitutions(pan: String) throws {
        let digits = Array(pan)
        for position in digits.indices {
            for replacement in "0123456789" where replacement != digits[position] {
                var changed = digits
                changed[position] = replacement
                #expect(try !PAN(String(changed)).luhnValid, "\(position) -> \(replacement)")
            }
        }
    }

    @Test(
        "every adjacent transposition except 09<->90 is detected; 09<->90 is Luhn's known blind spot",
        arguments: validPANs
    )
    func transpositions(pan: String) throws {
        let digits = Array(pan)
        for position in digits.indices.dropLast() where digits[position] != digits[position + 1] {
            var swapped = digits
            swapped.swapAt(position, position + 1)
            let pair = String(digits[position...position + 1])
            let valid = try PAN(String(swapped)).luhnValid
            #expect(valid == (pair == "09" || pair == "90"), "\(pair) at \(position)")
        }
    }

    @Test("a 09<->90 transposition slips through, as documented")
    func blindSpot() throws {
        // Every generated valid card containing 09 stays valid with it swapped.
        var generator = SeededGenerator(seed: 9)
        var found = 0
        for _ in 0..<500 {
            let candidate = Oracle.pan(prefix: "41", length: 16, using: &generator)
            guard let range = candidate.range(of: "09") else { continue }
            let swapped = candidate.replacingCharacters(in: range, with: "90")
            #expect(try PAN(swapped).luhnValid)
            found += 1
        }
        #expect(found > 10)
    }

    @Test("generated cards of every brand and every length pass", arguments: Brand.builtIn)
    func generatedCardsPass(brand: Brand) throws {
        var generator = SeededGenerator(seed: 0xC0FFEE &+ UInt64(Brand.builtIn.firstIndex(of: brand)!))
        let builtIn = BuiltInCardData.ranges
        let ranges = builtIn.ranges.filter { builtIn.attributes($0.attributes).brand == brand }
        for range in ranges {
            let text = String(range.low)
            let prefix = String(repeating: "0", count: Int(range.digits) - text.count) + text
            for length in brand.validLengths.lengths {
                let pan = Oracle.pan(prefix: prefix, length: length, using: &generator)
                #expect(try PAN(pan).luhnValid, "\(pan)")
                #expect(Luhn.checkDigit(for: pan.dropLast()) == pan.last)
            }
        }
    }

    @Test("property: the engine agrees with the textbook algorithm on random digit strings")
    func agreesWithTextbook() async {
        await propertyCheck(count: 2_000, input: Gen.int(in: 0...9).array(of: 12...19)) { digits in
            let pan = digits.map(String.init).joined()
            #expect((try? PAN(pan))?.luhnValid == Oracle.luhnValid(pan))
        }
    }

    @Test("property: appending the check digit always makes a valid PAN")
    func checkDigitMakesValid() async {
        await propertyCheck(count: 2_000, input: Gen.int(in: 0...9).array(of: 11...18)) { digits in
            let payload = digits.map(String.init).joined()
            let pan = payload + String(Luhn.checkDigit(for: payload))
            #expect((try? PAN(pan))?.luhnValid == true)
            #expect(Oracle.luhnValid(pan))
        }
    }

    @Test("property: spaces and dashes between digits change nothing")
    func separatorsAreIgnored() async {
        let input = Gen.int(in: 0...9).array(of: 12...19)
        await propertyCheck(count: 1_000, input: input, Gen.int(in: 0...3).array(of: 19...19)) { digits, gaps in
            let plain = digits.map(String.init).joined()
            var spaced = ""
            for (index, digit) in digits.enumerated() {
                spaced += String(digit)
                spaced += ["", " ", "-", " - "][gaps[index]]
            }
            #expect((try? PAN(plain)) != nil)
            #expect((try? PAN(plain)) == (try? PAN(spaced)))
        }
    }
}

@Suite("The 16-digit fast path")
struct SixteenDigitFastPathTests {
    @Test("property: sixteen plain digits parse exactly as the general path parses them")
    func agreesWithGeneralPath() async {
        await propertyCheck(count: 3_000, input: Gen.int(in: 0...9).array(of: 16...16)) { digits in
            let plain = digits.map(String.init).joined()
            let general = try? PAN(plain + " ")  // 17 bytes: never the fast path
            let fast = try? PAN(plain)
            #expect(fast != nil && fast == general)
            #expect(fast?.luhnValid == Oracle.luhnValid(plain))
            #expect(fast?.prefix8 == UInt32(plain.prefix(8)))
        }
    }

    @Test("sixteen bytes that are not all digits fall back to the general path and its errors")
    func fallsBack() throws {
        #expect(try PAN("4111 1111 111111") == PAN("41111111111111"))
        #expect(throws: ValidationError.panInvalidCharacter(position: 16)) { try PAN("411111111111111/") }
        #expect(throws: ValidationError.panInvalidCharacter(position: 1)) { try PAN(":111111111111111") }
        #expect(throws: ValidationError.panInvalidCharacter(position: 9)) { try PAN("41111111\u{7F}1111111") }
    }
}
