import CardCheck
import Testing

/// 3-D Secure in VALIDATE: the facts of shared/reference/three-d-secure.md (transStatus, ECI by brand,
/// liability shift, the Visa CAVV's results code), written here as tables and checked through the engine.
@Suite("3-D Secure results")
struct ThreeDSecureTests {
    static let visa = "4111111111111111"
    static let mastercard = "5555555555554444"
    static let amex = "378282246310005"
    /// go-cavv's vector: results code 7 (attempt), key indicator 01, output 972.
    static let attemptCAVVHex = "0700010972799396022310347279930000000000"
    static let attemptCAVV64 = "BwABCXJ5k5YCIxA0cnmTAAAAAAA="
    /// The same with results code 0 (authenticated).
    static let authenticatedCAVV64 = "AAABCXJ5k5YCIxA0cnmTAAAAAAA="
    /// go-cavv's Mastercard SPA AAV (control byte 8C, authenticated).
    static let aav64 = "jHyn+7YFi1EUAREAAAAvNUe6Hv8="

    static func validate(
        _ pan: String?,
        _ status: String?,
        eci: String? = nil,
        value: String? = nil,
        version: String? = nil,
        reason: String? = nil,
        validator: Validator = Validator()
    ) throws -> ValidationResult {
        let request = ValidationRequest(
            pan: pan,
            threeDS: ThreeDSData(
                status: status,
                eci: eci,
                authenticationValue: value,
                version: version,
                statusReason: reason
            )
        )
        return try validator.validate(request, today: YearMonth(year: 2026, month: 12)!)
    }

    typealias Row = (
        pan: String, status: String, eci: String?, value: String?, result: ThreeDSResult, shift: Bool,
        action: Action, reasons: [Reason]
    )

    /// The reference's tables: each status with its brand's ECI, and the inconsistencies that downgrade it.
    static let rows: [Row] = [
        (visa, "Y", "05", authenticatedCAVV64, .authenticated, true, .accept, []),
        (visa, "A", "06", attemptCAVV64, .attempted, true, .accept, []),
        (visa, "A", "06", attemptCAVVHex, .attempted, true, .accept, []),
        (visa, "A", "06", attemptCAVVHex.lowercased(), .attempted, true, .accept, []),
        (amex, "Y", "05", aav64, .authenticated, true, .accept, []),
        (mastercard, "Y", "02", aav64, .authenticated, true, .accept, []),
        (mastercard, "Y", "07", aav64, .authenticated, true, .accept, []),  // authenticated recurring
        (mastercard, "A", "01", aav64, .attempted, true, .accept, []),
        (mastercard, "Y", "N0", aav64, .authenticated, false, .accept, []),  // non-payment: no shift
        (mastercard, "I", "06", nil, .informational, false, .accept, []),  // exemption: no shift
        (visa, "I", "07", nil, .informational, false, .accept, []),
        (visa, "N", "07", nil, .notAuthenticated, false, .decline, [.threeDSNotAuthenticated]),
        (mastercard, "N", "00", nil, .notAuthenticated, false, .decline, [.threeDSNotAuthenticated]),
        (visa, "R", nil, nil, .rejected, false, .decline, [.threeDSRejected]),
        (visa, "U", "07", nil, .unavailable, false, .review, [.threeDSUnavailable]),
        (visa, "C", nil, nil, .pending, false, .retry, [.threeDSPending]),
        (mastercard, "D", nil, nil, .pending, false, .retry, [.threeDSPending]),
        // Y or A whose ECI or value does not back it: downgraded, reviewed.
        (visa, "Y", "02", authenticatedCAVV64, .invalid, false, .review, [.threeDSECIMismatch]),
        (mastercard, "Y", "05", aav64, .invalid, false, .review, [.threeDSECIMismatch]),
        (visa, "A", "05", attemptCAVV64, .invalid, false, .review, [.threeDSECIMismatch]),
        (visa, "Y", "05", nil, .invalid, false, .review, [.threeDSValueMissing]),
        (mastercard, "A", "01", nil, .invalid, false, .review, [.threeDSValueMissing]),
        (visa, "Y", "05", "not a CAVV", .invalid, false, .review, [.threeDSValueInvalid]),
        (visa, "Y", "05", String(attemptCAVV64.dropLast(2)), .invalid, false, .review, [.threeDSValueInvalid]),
        // A Visa CAVV whose results code (7, attempt) is not the status's (Y: 0).
        (visa, "Y", "05", attemptCAVV64, .invalid, false, .review, [.threeDSValueInvalid]),
        // Without the ECI the status and value decide.
        (visa, "Y", nil, authenticatedCAVV64, .authenticated, true, .accept, []),
        // N with an authenticated ECI: still not authenticated, and the mismatch is noted.
        (visa, "N", "05", nil, .notAuthenticated, false, .decline, [.threeDSNotAuthenticated, .threeDSECIMismatch]),
    ]

    @Test("status, ECI by brand and value: result, liability shift, action and reasons", arguments: rows)
    func table(row: Row) throws {
        let result = try Self.validate(row.pan, row.status, eci: row.eci, value: row.value, version: "2.2.0")
        #expect(result.threeDS?.result == row.result && result.threeDS?.liabilityShift == row.shift)
        // Without keys a well-formed value is U; a malformed one is not checked at all.
        var text = row.value ?? ""
        let wellFormed = row.value != nil && text.withUTF8 { AuthenticationValue(utf8: $0) } != nil
        #expect(result.threeDS?.valueResult == (wellFormed ? .U : nil))
        #expect(result.action == row.action)
        #expect(Array(result.reasons) == row.reasons.sorted { $0.rawValue < $1.rawValue })
    }

    @Test("no 3-D Secure data: no result, and nothing changes")
    func absent() throws {
        let result = try Self.validate(Self.visa, nil)
        #expect(result.threeDS == nil)
        #expect(result.action == .accept)
    }

    @Test("3-D Secure data alone is a check (no PAN: either brand family's ECI)")
    func alone() throws {
        #expect(try Self.validate(nil, "Y", eci: "05", value: Self.aav64).threeDS?.result == .authenticated)
        #expect(try Self.validate(nil, "Y", eci: "02", value: Self.aav64).threeDS?.result == .authenticated)
        #expect(try Self.validate(nil, "Y", eci: "01", value: Self.aav64).threeDS?.result == .invalid)
    }

    @Test(
        "malformed fields are typed errors naming the field",
        arguments: [
            ("Q", nil, nil, nil, ValidationError.threeDSStatusInvalid),
            ("YY", nil, nil, nil, .threeDSStatusInvalid),
            ("y", nil, nil, nil, .threeDSStatusInvalid),
            (nil, "05", nil, nil, .threeDSStatusMissing),
            ("Y", "5", nil, nil, .eciInvalid),
            ("Y", "0 5", nil, nil, .eciInvalid),
            // Two bytes, not `0` and a digit: the out-of-line check.
            ("Y", "0-", nil, nil, .eciInvalid),
            ("Y", "-5", nil, nil, .eciInvalid),
            ("Y", "N ", nil, nil, .eciInvalid),
            ("Y", "0\u{7F}", nil, nil, .eciInvalid),
            ("Y", "05", "2.2", nil, .threeDSVersionInvalid),
            ("Y", "05", "2.2.x", nil, .threeDSVersionInvalid),
            ("N", "07", "2.2.0", "1", .threeDSStatusReasonInvalid),
            ("N", "07", "2.2.0", "1a", .threeDSStatusReasonInvalid),
        ] as [(String?, String?, String?, String?, ValidationError)]
    )
    func errors(status: String?, eci: String?, version: String?, reason: String?, error: ValidationError) {
        #expect(throws: error) {
            try Self.validate(
                Self.visa,
                status,
                eci: eci,
                value: Self.authenticatedCAVV64,
                version: version,
                reason: reason
            )
        }
        #expect(error.field != nil)
    }

    @Test("a version and a reason that are well formed are accepted, 3DS 1 included")
    func wellFormed() throws {
        #expect(
            try Self.validate(Self.visa, "N", eci: "07", version: "1.0.2", reason: "01").threeDS?.result
                == .notAuthenticated
        )
        #expect(try Self.validate(Self.visa, "U", version: "2.3.1", reason: "22").threeDS?.result == .unavailable)
    }

    /// Five-byte versions are read as one word; the oracle is the definition (three dot-separated parts of
    /// one to three digits). Every byte at every position of `2.2.0`, and of `1.10.2` (the general path).
    @Test("every one-byte change of a version is accepted exactly when it is still digits.digits.digits")
    func everyVersionByte() throws {
        func isVersion(_ bytes: [UInt8]) -> Bool {
            let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            return parts.count == 3
                && parts.allSatisfy { (1...3).contains($0.count) && $0.allSatisfy { $0 &- 0x30 < 10 } }
        }
        var accepted = 0
        for base in ["2.2.0", "1.10.2"] {
            for position in 0..<base.utf8.count {
                for byte in 1...255 as ClosedRange<UInt8> {
                    var bytes = Array(base.utf8)
                    bytes[position] = byte
                    let version = String(decoding: bytes, as: UTF8.self)
                    // A byte that is not UTF-8 on its own becomes U+FFFD: judge the bytes actually sent.
                    let sent = Array(version.utf8)
                    let result = Result { try Self.validate(Self.visa, "N", eci: "07", version: version) }
                    if isVersion(sent) {
                        #expect(throws: Never.self, "\(version)") { try result.get() }
                        accepted += 1
                    } else {
                        #expect(throws: ValidationError.threeDSVersionInvalid, "\(version)") { try result.get() }
                    }
                }
            }
        }
        // Each digit position takes its ten digits; each dot position only the dot.
        #expect(accepted == (3 * 10 + 2) + (4 * 10 + 2))
    }

    @Test("policy.shifted overrides apply only when liability shifted")
    func shiftedPolicy() throws {
        var overrides = PolicyOverrides()
        try overrides.set(.accept, forReasonNamed: "avs_N")
        let validator = Validator(shiftedOverrides: overrides)
        func check(_ status: String, _ eci: String, _ value: String?) throws -> ValidationResult {
            let request = ValidationRequest(
                pan: Self.visa,
                address: Address(street: "1 Main St", postalCode: "11111"),
                onFileAddress: Address(street: "2 Other St", postalCode: "22222"),
                threeDS: ThreeDSData(status: status, eci: eci, authenticationValue: value)
            )
            return try validator.validate(request, today: YearMonth(year: 2026, month: 12)!)
        }
        let shifted = try check("Y", "05", Self.authenticatedCAVV64)
        #expect(shifted.avs?.code == .N)
        #expect(shifted.action == .accept)
        #expect(shifted.reasons.isEmpty)
        // Not shifted (the value is missing): the daemon's policy, AVS N reviewed.
        let downgraded = try check("Y", "05", nil)
        #expect(downgraded.action == .review)
        #expect(Array(downgraded.reasons) == [.avsN, .threeDSValueMissing])
        // Without overrides, the same shifted transaction is reviewed for AVS N.
        let plain = try Validator().validate(
            ValidationRequest(
                pan: Self.visa,
                address: Address(street: "1 Main St", postalCode: "11111"),
                onFileAddress: Address(street: "2 Other St", postalCode: "22222"),
                threeDS: ThreeDSData(status: "Y", eci: "05", authenticationValue: Self.authenticatedCAVV64)
            ),
            today: YearMonth(year: 2026, month: 12)!
        )
        #expect(plain.action == .review)
        #expect(Array(plain.reasons) == [.avsN])
    }

    /// The validator and a profile keep the shifted policy ready (the policy with the overrides applied);
    /// changing either the policy or the overrides afterwards must change what a shifted request gets.
    @Test("the shifted policy kept ready follows later changes of the policy and of the overrides")
    func shiftedPolicyFollowsChanges() throws {
        let request = ValidationRequest(
            pan: Self.visa,
            address: Address(street: "1 Main St", postalCode: "11111"),
            onFileAddress: Address(street: "2 Other St", postalCode: "22222"),
            threeDS: ThreeDSData(status: "Y", eci: "05", authenticationValue: Self.authenticatedCAVV64)
        )
        let today = YearMonth(year: 2026, month: 12)!
        var validator = Validator()
        #expect(try validator.validate(request, today: today).action == .review)
        validator.shiftedOverrides[.avsN] = .accept
        #expect(try validator.validate(request, today: today).action == .accept)
        // An override set on the policy after the overrides: the shifted one still wins for AVS N, and the
        // policy's other change shows through it.
        validator.policy[.avsN] = .decline
        #expect(try validator.validate(request, today: today).action == .accept)
        validator.shiftedOverrides[.avsN] = nil
        #expect(try validator.validate(request, today: today).action == .decline)

        // A profile: its own lines, then a shifted line read on top.
        var profile = try PolicyProfile().applying("avs_N = retry")
        validator.profiles = try PolicyProfiles.compile(files: [("merchant.conf", "")], base: profile)
        var named = request
        named.profile = "merchant"
        #expect(try validator.validate(named, today: today).action == .retry)
        profile = try profile.applying("shifted.avs_N = accept")
        validator.profiles = try PolicyProfiles.compile(files: [("merchant.conf", "")], base: profile)
        #expect(try validator.validate(named, today: today).action == .accept)
        profile.policy[.avsN] = .decline
        profile.shifted[.avsN] = nil
        validator.profiles = try PolicyProfiles.compile(files: [("merchant.conf", "")], base: profile)
        #expect(try validator.validate(named, today: today).action == .decline)
    }

    @Test("authentication values: 40 hex digits or base64 of 20 bytes, padded or not, standard or URL alphabet")
    func values() {
        func decode(_ text: String) -> AuthenticationValue? {
            var copy = text
            return copy.withUTF8 { AuthenticationValue(utf8: $0) }
        }
        let hex = decode(Self.attemptCAVVHex)
        #expect(hex != nil)
        #expect(hex?[0] == 7)
        #expect(hex?[4] == 0x72)
        #expect(decode(Self.attemptCAVV64) == hex)
        #expect(decode(String(Self.attemptCAVV64.dropLast())) == hex)
        #expect(decode("jHyn-7YFi1EUAREAAAAvNUe6Hv8=") == decode(Self.aav64))
        #expect(decode(Self.aav64)?[0] == 0x8C)
        #expect(decode(Self.aav64)?[19] == 0xFF)
        for bad in [
            "", "AB", String(Self.attemptCAVVHex.dropLast()), Self.attemptCAVVHex + "0",
            "Z" + Self.attemptCAVVHex.dropFirst(), "BwABCXJ5k5YCIxA0cnmTAAAAAAB=", "BwABCXJ5k5YCIxA0cnmTAAAAAA==",
            "BwABCXJ5k5YCIxA0cnmTAAAAA*A=",
        ] {
            #expect(decode(bad) == nil, "\(bad)")
        }
    }

    /// The check reads a value's well-formedness and first byte without decoding it; the decoder is the
    /// oracle. Every byte at every position of a hex and a base64 value (padded and not), and random
    /// strings of the lengths that matter, are well formed exactly where the decoder gives a value, and
    /// their first byte is the decoder's.
    @Test("an authentication value's first byte without decoding agrees with the decoder")
    func firstByteAgreesWithDecoder() {
        func compare(_ bytes: [UInt8]) {
            bytes.withUnsafeBufferPointer { text in
                let decoded = AuthenticationValue(utf8: text)
                let wellFormed = AuthenticationValue.isWellFormed(utf8: text)
                #expect(wellFormed == (decoded != nil), "\(String(decoding: bytes, as: UTF8.self))")
                if wellFormed, let decoded {
                    #expect(AuthenticationValue.firstByteOfWellFormed(utf8: text) == decoded[0])
                }
            }
        }
        var compared = 0
        for base in [
            Self.attemptCAVVHex, Self.attemptCAVV64, String(Self.aav64.dropLast()), "jHyn-7YFi1EUAREAAAAvNUe6Hv8=",
        ] {
            let bytes = Array(base.utf8)
            for position in bytes.indices {
                for byte in 0...255 as ClosedRange<UInt8> {
                    var mutated = bytes
                    mutated[position] = byte
                    compare(mutated)
                    compared += 1
                }
            }
        }
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=".utf8)
        for _ in 0..<50_000 {
            let length = [26, 27, 28, 29, 40].randomElement(using: &generator)!
            compare((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
            compared += 1
        }
        #expect(compared > 40 * 256)
    }

    /// The ECI each family uses for each status, as the reference tables give them: the oracle for every
    /// status x family x ECI below. nil: any ECI (interim statuses); "shiftless": agrees, without a shift.
    static func expectedAgreement(family: String?, status: String, eci: String) -> String {
        if status == "C" || status == "D" { return "agrees" }
        let visa: [String: Set<String>] = [
            "Y": ["05"], "A": ["06"], "N": ["07"], "U": ["07"], "R": ["07"], "I": ["07"],
        ]
        let mastercard: [String: Set<String>] = [
            "Y": ["02", "07"], "A": ["01"], "N": ["00"], "U": ["00"], "R": ["00"], "I": ["00", "04", "06"],
        ]
        let asVisa = visa[status]!.contains(eci) ? "agrees" : "disagrees"
        let asMastercard =
            ["N0", "N2"].contains(eci) ? "shiftless" : mastercard[status]!.contains(eci) ? "agrees" : "disagrees"
        switch family {
        case "visa": return asVisa
        case "mastercard": return asMastercard
        default: return asMastercard != "disagrees" ? asMastercard : asVisa
        }
    }

    @Test("every status x brand family x ECI agrees or not as the reference's tables say")
    func everyECI() throws {
        let ecis = (0...9).map { "0\($0)" } + ["N0", "N1", "N2", "n0", "10", "0A", "AB", "50"]
        for (family, pan) in [("visa", Self.visa), ("mastercard", Self.mastercard), (nil, nil)] as [(String?, String?)]
        {
            for status in ["Y", "A", "N", "U", "R", "C", "D", "I"] {
                for eci in ecis {
                    let value: String? =
                        status == "Y"
                        ? (family == "visa" ? Self.authenticatedCAVV64 : Self.aav64)
                        : status == "A" ? (family == "visa" ? Self.attemptCAVV64 : Self.aav64) : nil
                    let result = try Self.validate(pan, status, eci: eci, value: value)
                    // Lowercase n is read as N (ECIs are case-insensitive).
                    let expected = Self.expectedAgreement(family: family, status: status, eci: eci.uppercased())
                    let mismatch = result.reasons.contains(.threeDSECIMismatch)
                    #expect(mismatch == (expected == "disagrees"), "\(family ?? "no PAN") \(status) \(eci)")
                    if (status == "Y" || status == "A") && expected != "disagrees" {
                        #expect(
                            result.threeDS?.liabilityShift == (expected == "agrees"),
                            "\(family ?? "no PAN") \(status) \(eci): shift"
                        )
                    }
                }
            }
        }
    }
}

@Suite("A request prints no secret")
struct RequestPrintingTests {
    @Test("print, debugPrint and dump show the PAN masked, and neither the code nor the authentication value")
    func printing() {
        let request = ValidationRequest(
            pan: "4111 1111 1111 1111",
            expiry: "12/30",
            csc: "987",
            threeDS: ThreeDSData(status: "Y", eci: "05", authenticationValue: "AAABCXJ5k5YCIxA0cnmTAAAAAAA="),
            profile: "acme"
        )
        var dumped = ""
        dump(request, to: &dumped)
        for text in [String(describing: request), String(reflecting: request), "\(request)", dumped] {
            #expect(text.contains("411111******1111") && text.contains("acme"), "\(text)")
            #expect(!text.contains("987") && !text.contains("AAABCX") && !text.contains("1111 1111"), "\(text)")
        }
    }
}
