import CardCheck
import CardCheckCrypto
import CardCheckTestSupport
import Testing

/// Visa CAVV and Mastercard SPA AAV against the published vectors (go-cavv, shared/reference/three-d-secure.md),
/// and against changes that must make them fail.
@Suite("CAVV and AAV with issuer keys")
struct AuthenticationValueTests {
    static func value(_ hex: String) -> AuthenticationValue {
        var copy = hex
        return copy.withUTF8 { AuthenticationValue(utf8: $0)! }
    }

    static let cavvKey = try! CardVerificationKey(hex: "0123456789ABCDEFFEDCBA9876543210")
    static let cavv = value("0700010972799396022310347279930000000000")
    static let visaPAN = try! PAN("4123456789012345")

    @Test("Visa CAVV: go-cavv's vector gives 972, and verifies")
    func visaVector() throws {
        let fields = try #require(VisaCAVV.Fields(Self.cavv))
        #expect(fields.resultsCode == 7 && fields.secondFactor == 0 && fields.keyIndicator == 1)
        #expect(fields.output == 972 && fields.unpredictableNumber == 7993)
        #expect(
            VisaCAVV.output(
                key: Self.cavvKey,
                pan: Self.visaPAN,
                unpredictableNumber: 7993,
                resultsCode: 7,
                secondFactor: 0
            )
                == 972
        )
        #expect(VisaCAVV.verify(fields, key: Self.cavvKey, pan: Self.visaPAN))
    }

    @Test("Visa CAVV: another PAN, results code, unpredictable number or key does not verify")
    func visaNegative() throws {
        let fields = try #require(VisaCAVV.Fields(Self.cavv))
        #expect(!VisaCAVV.verify(fields, key: Self.cavvKey, pan: try PAN("4123456789012353")))
        for (results, un) in [(0, 7993), (7, 7994)] {
            var changed = fields
            changed.resultsCode = UInt8(results)
            changed.unpredictableNumber = UInt16(un)
            #expect(!VisaCAVV.verify(changed, key: Self.cavvKey, pan: Self.visaPAN), "\(results) \(un)")
        }
        let other = try CardVerificationKey(hex: "FEDCBA98765432100123456789ABCDEF")
        #expect(!VisaCAVV.verify(fields, key: other, pan: Self.visaPAN))
        #expect(VisaCAVV.Fields(Self.value("0A00010972799396022310347279930000000000")) == nil)  // not BCD
    }

    static let aavKey = try! MastercardAAV.Key(hex: "0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B")
    static let aav = value("8C7CA7FBB6058B511401110000002F3547BA1EFF")
    static let mastercardPAN = try! PAN("5432109876543210")

    @Test("Mastercard SPA AAV: go-cavv's vector's MAC is 3547BA1EFF, and verifies; key id 1, HMAC kind")
    func mastercardVector() {
        #expect(MastercardAAV.isHMACKind(Self.aav) && MastercardAAV.keyIdentifier(Self.aav) == 1)
        #expect(
            MastercardAAV.mac(key: Self.aavKey, pan: Self.mastercardPAN, value: Self.aav) == [
                0x35, 0x47, 0xBA, 0x1E, 0xFF,
            ]
        )
        #expect(MastercardAAV.verify(Self.aav, key: Self.aavKey, pan: Self.mastercardPAN))
        #expect(Self.aavKey.checkValue.count == 6)
    }

    @Test("Mastercard SPA AAV: another PAN, a changed byte or another key does not verify")
    func mastercardNegative() throws {
        #expect(!MastercardAAV.verify(Self.aav, key: Self.aavKey, pan: try PAN("5432109876543228")))
        #expect(
            !MastercardAAV.verify(
                Self.value("8C7CA7FBB6058B511401110000002E3547BA1EFF"),
                key: Self.aavKey,
                pan: Self.mastercardPAN
            )
        )
        let other = try MastercardAAV.Key(hex: "0C0C0C0C0C0C0C0C0C0C0C0C0C0C0C0C0C0C0C0C")
        #expect(!MastercardAAV.verify(Self.aav, key: other, pan: Self.mastercardPAN))
        #expect(throws: MastercardAAV.Key.Problem.wrongLength(8)) { try MastercardAAV.Key(hex: "0B0B0B0B") }
        #expect(throws: MastercardAAV.Key.Problem.notHex) {
            try MastercardAAV.Key(hex: String(repeating: "G", count: 40))
        }
    }
}

@Suite("CAVV and AAV generation")
struct AuthenticationValueGenerationTests {
    static let table = try! KeyFile.parse(
        """
        412345 0123456789ABCDEFFEDCBA9876543210 purpose=cavv indicator=01 name=cavv-1
        412345 FEDCBA98765432100123456789ABCDEF purpose=cavv indicator=02 name=cavv-2
        543210 0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B purpose=aav key_id=1 name=aav-1
        """
    )
    static let visa = CardAttributes(brand: .visa)
    static let mastercard = CardAttributes(brand: .mastercard)

    @Test("making go-cavv's Visa vector's inputs gives its CAVV byte for byte")
    func visaVector() throws {
        let order = AuthenticationValueOrder(status: .A, keyIndicator: 1, transactionNumber: 9_602_231_034_727_993)
        let issued = try Self.table.issueAuthenticationValue(
            order,
            pan: AuthenticationValueTests.visaPAN,
            card: Self.visa
        )
        #expect(issued.value == AuthenticationValueTests.cavv)
        #expect(issued.value.hex == "0700010972799396022310347279930000000000")
        #expect(issued.key.name == "cavv-1")
    }

    @Test("making go-cavv's Mastercard vector's inputs gives its AAV byte for byte")
    func mastercardVector() throws {
        #expect(
            MastercardAAV.merchantNameHash("SPA Merchant, Inc.") == [0x7C, 0xA7, 0xFB, 0xB6, 0x05, 0x8B, 0x51, 0x14]
        )
        let order = AuthenticationValueOrder(
            status: .Y,
            transactionNumber: 0x2F,
            merchantName: "SPA Merchant, Inc.",
            acsIdentifier: 1
        )
        let issued = try Self.table.issueAuthenticationValue(
            order,
            pan: AuthenticationValueTests.mastercardPAN,
            card: Self.mastercard
        )
        #expect(issued.value == AuthenticationValueTests.aav)
        #expect(issued.value.base64 == "jHyn+7YFi1EUAREAAAAvNUe6Hv8=")
    }

    @Test("a made value verifies under its key and no other; one changed bit of any byte fails or is U")
    func roundTrip() throws {
        var generator = SeededGenerator(seed: 16)
        let cards: [(PAN, CardAttributes)] = [
            (try PAN("4123456789012349"), Self.visa), (try PAN("5432109876543212"), Self.mastercard),
            (try PAN("4123450000000019"), Self.visa),
        ]
        for (pan, card) in cards {
            for status in [ThreeDSStatus.Y, .A] {
                for indicator: UInt8? in card.isVisa ? [nil, 1, 2] : [nil, 1] {
                    let order = AuthenticationValueOrder(
                        status: status,
                        keyIndicator: indicator,
                        transactionNumber: card.isVisa
                            ? UInt64.random(in: 0...9_999_999_999_999_999, using: &generator)
                            : UInt64(UInt32.random(in: 0...UInt32.max, using: &generator)),
                        secondFactor: card.isVisa ? 2 : 0,
                        merchantName: "Shop \(indicator ?? 0)"
                    )
                    let issued = try Self.table.issueAuthenticationValue(order, pan: pan, card: card)
                    #expect(
                        Self.table.authenticationValueVerification(issued.value, pan: pan, card: card)
                            == .match(issued.key)
                    )
                    // Every single-bit change is noticed: N, or U where the change breaks the layout or the
                    // key it names.
                    var bytes = issued.value.byteArray
                    for index in 0..<20 {
                        for bit in 0..<8 {
                            bytes[index] ^= 1 << bit
                            let changed = AuthenticationValue(bytes: bytes)!
                            let verification = Self.table.authenticationValueVerification(changed, pan: pan, card: card)
                            // Visa bytes 8 to 20 (the tracking number but its last 4 digits, version, IP address)
                            // are not in the CVV computation: the ATN's check is the issuer's duplicate detection.
                            let covered = !card.isVisa || index < 7
                            if covered {
                                #expect(verification != .match(issued.key), "byte \(index) bit \(bit)")
                            }
                            bytes[index] ^= 1 << bit
                        }
                    }
                }
            }
        }
    }

    @Test("orders that cannot be made are refused with their field")
    func refusals() throws {
        let visaPAN = try PAN("4123456789012349")
        func problem(
            _ order: AuthenticationValueOrder,
            _ pan: PAN,
            _ card: CardAttributes?
        ) -> AuthenticationValueIssueError? {
            do {
                _ = try Self.table.issueAuthenticationValue(order, pan: pan, card: card)
                return nil
            } catch { return error }
        }
        #expect(problem(.init(status: .N), visaPAN, Self.visa) == .statusNotAuthenticated)
        #expect(problem(.init(status: .Y, keyIndicator: 3), visaPAN, Self.visa) == .noKey)
        #expect(problem(.init(status: .Y, keyIndicator: 100), visaPAN, Self.visa) == .keyIndicatorOutOfRange)
        #expect(problem(.init(status: .Y, secondFactor: 100), visaPAN, Self.visa) == .secondFactorOutOfRange)
        #expect(
            problem(.init(status: .Y, transactionNumber: 10_000_000_000_000_000), visaPAN, Self.visa)
                == .transactionNumberOutOfRange
        )
        #expect(problem(.init(status: .Y), try PAN("4111111111111111"), Self.visa) == .noKey)
        #expect(
            problem(.init(status: .Y), try PAN("378282246310005"), CardAttributes(brand: .americanExpress))
                == .brandNotSupported
        )
        let mastercardPAN = try PAN("5432109876543212")
        #expect(
            problem(.init(status: .Y, acsIdentifier: 8), mastercardPAN, Self.mastercard) == .acsIdentifierOutOfRange
        )
        #expect(
            problem(.init(status: .Y, authenticationMethod: 4), mastercardPAN, Self.mastercard)
                == .authenticationMethodOutOfRange
        )
        #expect(problem(.init(status: .Y, keyIndicator: 2), mastercardPAN, Self.mastercard) == .noKey)
    }
}

@Suite("Key file purposes")
struct KeyFilePurposeTests {
    @Test("purpose=cavv with indicator, purpose=aav with key_id; named by check value; CVV keys unaffected")
    func purposes() throws {
        let table = try KeyFile.parse(
            """
            4 0123456789ABCDEFFEDCBA9876543210
            412345 0123456789ABCDEFFEDCBA9876543210 purpose=cavv indicator=01
            543210 0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B purpose=aav key_id=1 name=mc-aav
            """
        )
        #expect(table.keyCount == 3 && table.ranges.count == 1 && table.authenticationRanges.count == 2)
        #expect(table.keyDescriptions.contains { $0.hasPrefix("mc-aav (AAV, key id 1, KCV ") })
        #expect(!table.keyDescriptions.joined().contains("0B0B0B"))
        let visa = CardAttributes(brand: .visa)
        let cavv = AuthenticationValueTests.cavv
        #expect(table.verifyAuthenticationValue(cavv, pan: AuthenticationValueTests.visaPAN, card: visa) == true)
        #expect(table.verifyAuthenticationValue(cavv, pan: try PAN("4123456789012307"), card: visa) == false)
        #expect(table.verifyAuthenticationValue(cavv, pan: try PAN("4111111111111111"), card: visa) == nil)  // no key
        let mastercard = CardAttributes(brand: .mastercard)
        let aav = AuthenticationValueTests.aav
        #expect(
            table.verifyAuthenticationValue(aav, pan: AuthenticationValueTests.mastercardPAN, card: mastercard) == true
        )
        // A key indicator or key id the file has no key for: U.
        var other = "0700020972799396022310347279930000000000"
        let indicator2 = other.withUTF8 { AuthenticationValue(utf8: $0)! }
        #expect(table.verifyAuthenticationValue(indicator2, pan: AuthenticationValueTests.visaPAN, card: visa) == nil)
    }

    @Test(
        "bad purpose lines name the line",
        arguments: [
            ("4 0123456789ABCDEFFEDCBA9876543210 purpose=cavv", "needs indicator"),
            ("4 0123456789ABCDEFFEDCBA9876543210 purpose=cavv indicator=1", "two digits"),
            ("4 0123456789ABCDEFFEDCBA9876543210 indicator=01", "goes with purpose=cavv"),
            ("54 0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B purpose=aav", "needs key_id"),
            ("54 0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B purpose=aav key_id=16", "0 to 15"),
            ("54 0B0B purpose=aav key_id=1", "32 to 128 hex digits"),
            ("54 0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B purpose=mac", "cvv, cavv or aav"),
        ]
    )
    func problems(line: String, message: String) {
        #expect {
            try KeyFile.parse("# keys\n" + line)
        } throws: { error in
            guard let problem = error as? KeyFile.Problem else { return false }
            return problem.line == 2 && problem.message.contains(message) && !problem.message.contains("0B0B0B")
        }
    }
}
