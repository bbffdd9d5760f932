import CardCheck
import CardCheckCrypto
import Testing

@Suite("Key table and key file")
struct KeyTableTests {
    static let testKey = "0123456789ABCDEFFEDCBA9876543210"
    /// A published test key without odd parity: loaded with parity=any.
    static let otherKey = "4C37C8319D76ADAB58D9431543C2165B"

    /// 4114585553881637 expiring 12/2028 has CVV2 213 under the test key (Tests/CardCheckCryptoTests/cvv-algorithm.json).
    static let card = "4114585553881637"

    func validate(_ validator: Validator, pan: String, expiry: String = "12/28", csc: String) throws -> ValidationResult
    {
        try validator.validate(
            ValidationRequest(pan: pan, expiry: expiry, csc: csc),
            today: YearMonth(year: 2026, month: 11)!
        )
    }

    @Test("VALIDATE answers M for the right code, N for a wrong one, U where no key covers the card or for Amex")
    func validation() throws {
        var validator = Validator()
        validator.securityCodes = try KeyFile.parse(
            """
            # test keys
            411458-411459  \(Self.testKey)  expiry=YYMM name=visa-test
            37             \(Self.testKey)
            """
        )
        let match = try validate(validator, pan: Self.card, csc: "213")
        #expect(match.csc?.result == .M && match.action == .accept)
        let noMatch = try validate(validator, pan: Self.card, csc: "214")
        #expect(noMatch.csc?.result == .N && noMatch.action == .decline)
        #expect(try validate(validator, pan: "4111111111111111", csc: "123").csc?.result == .U)
        #expect(
            try validate(validator, pan: "378282246310005", csc: "1234").csc?.result == .U,
            "Amex's method is not public"
        )
        // Without an expiry there is nothing to verify against.
        #expect(
            try validator.validate(
                ValidationRequest(pan: Self.card, csc: "213"),
                today: YearMonth(year: 2026, month: 11)!
            ).csc?.result == .U
        )
        #expect(try validate(Validator(), pan: Self.card, csc: "213").csc?.result == .U, "no keys: as before")
    }

    @Test("rotation: every key of the range is tried and the answer names the one that matched")
    func rotation() throws {
        let table = try KeyFile.parse(
            """
            4114 \(Self.otherKey) parity=any name=old
            4114 \(Self.testKey) name=new
            4 \(Self.otherKey) parity=any name=wide
            """
        )
        #expect(table.keyCount == 3 && table.ranges.first?.digits == 4)
        let pan = try PAN(Self.card)
        let verdict = Array("213".utf8).withUnsafeBufferPointer {
            table.verifyCode($0, pan: pan, expiry: YearMonth(year: 2028, month: 12)!, serviceCode: 0)
        }
        #expect(verdict == .match(KeyIdentity(name: "new", checkValue: "08D7B4")))
        // MMYY under the same key gives another code: the order is per key, and a wrong one does not match.
        let mmyy = try KeyFile.parse("4114 \(Self.testKey) expiry=MMYY")
        let wrongOrder = Array("213".utf8).withUnsafeBufferPointer {
            mmyy.verifyCode($0, pan: pan, expiry: YearMonth(year: 2028, month: 12)!, serviceCode: 0)
        }
        #expect(wrongOrder == .noMatch)
    }

    @Test(
        "bad lines name the line and never the key",
        arguments: [
            ("4111", "expected a prefix range and a key"),
            ("41x1 \(testKey)", "is not a prefix"),
            ("4111-52 \(testKey)", "is not a prefix"),
            ("4111 \(testKey) expiry=DDMM", "expiry is YYMM or MMYY"),
            ("4111 \(testKey) colour=red", "unknown option"),
            ("4111 99999999999999998888888888888888", "does not have odd parity"),
            ("4111 0123456789ABCDEF", "32 hex digits"),
        ]
    )
    func problems(line: String, message: String) {
        #expect {
            try KeyFile.parse("# comment\n\n" + line)
        } throws: { error in
            let text = "\(error)"
            return text.contains(message) && text.hasPrefix("line 3:")
                && !text.contains("0123456789ABCDEF") && !text.contains("9999999999")
        }
    }
}

@Suite("Key material is wiped after parsing")
struct SecretTextTests {
    @Test("a key file's text reads as zero bytes after the wipe, and so do key bytes")
    func wipes() {
        var text = "4114 0123456789ABCDEFFEDCBA9876543210 name=visa-test\n"
        text += "5412 0123456789ABCDEFFEDCBA9876543210\n"  // built at run time: heap storage, not a literal
        let count = text.utf8.count
        SecretText.wipe(&text)
        #expect(text.utf8.count == count && text.utf8.allSatisfy { $0 == 0 })
        var bytes = Array("0123456789ABCDEF".utf8)
        SecretText.wipe(&bytes)
        #expect(bytes == [UInt8](repeating: 0, count: 16))
    }
}
