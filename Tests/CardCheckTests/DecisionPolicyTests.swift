import CardCheck
import Testing

@Suite("Decision policy and the whole validation")
struct DecisionPolicyTests {
    static let visa = "4111111111111111"

    func validate(
        _ request: ValidationRequest,
        policy: DecisionPolicy = .cardNetworkDefaults,
        options: AVSOptions = AVSOptions()
    ) throws -> ValidationResult {
        try Validator(policy: policy, avsOptions: options).validate(request, today: november2026)
    }

    @Test("a Luhn-only request of a valid card is accepted; unasked checks are unchecked")
    func luhnOnly() throws {
        let result = try validate(ValidationRequest(pan: Self.visa))
        #expect(result.action == .accept)
        #expect(result.reasons.isEmpty)
        #expect(result.expiry == nil && result.csc == nil && result.avs == nil)
        #expect(
            result.pan == PANCheck(masked: try PAN(Self.visa).masked, luhnValid: true, brand: .visa, lengthValid: true)
        )
    }

    @Test(
        "defaults per check",
        arguments: [
            (ValidationRequest(pan: "4111111111111112"), Action.decline, ["luhn_failed"]),
            (ValidationRequest(pan: "6200000000000006"), .review, ["unionpay_luhn_failed"]),
            (ValidationRequest(pan: "7234567812345677"), .review, ["brand_unknown"]),
            (ValidationRequest(pan: "4111111111111111110"), .accept, []),
            (ValidationRequest(pan: "411111111111116"), .decline, ["length_invalid"]),
            (ValidationRequest(pan: visa, expiry: "10/26"), .decline, ["expired"]),
            (ValidationRequest(pan: visa, expiry: "10/2060"), .decline, ["expiry_too_far"]),
            (ValidationRequest(pan: visa, expiry: "10/60"), .decline, ["expired"]),
            (ValidationRequest(pan: visa, expiry: "1/26"), .decline, ["expiry_malformed"]),
            (ValidationRequest(pan: visa, csc: ""), .decline, ["csc_not_provided"]),
            (ValidationRequest(pan: visa, cscIndicator: 0), .decline, ["csc_not_provided"]),
            (ValidationRequest(pan: visa, csc: "12"), .retry, ["csc_P"]),
            (ValidationRequest(pan: visa, csc: "I"), .retry, ["csc_P"]),
            (ValidationRequest(pan: visa, csc: "X"), .review, ["csc_S"]),
            (ValidationRequest(pan: visa, csc: "123"), .review, ["csc_U"]),
            (
                ValidationRequest(
                    pan: visa,
                    address: Address(street: "1 A St", postalCode: "12345"),
                    onFileAddress: Address(street: "1 A St", postalCode: "12345")
                ), .accept, []
            ),
            (
                ValidationRequest(
                    pan: visa,
                    address: Address(street: "2 A St", postalCode: "12345"),
                    onFileAddress: Address(street: "1 A St", postalCode: "12345")
                ), .review, ["avs_Z"]
            ),
            (ValidationRequest(pan: visa, address: Address(street: "2 A St", postalCode: "12345")), .review, ["avs_U"]),
        ]
    )
    func defaults(request: ValidationRequest, action: Action, reasons: [String]) throws {
        let result = try validate(request)
        #expect(result.action == action)
        #expect(result.reasons.names == reasons)
    }

    @Test("the overall action is the most severe; every non-accept reason is listed")
    func mostSevere() throws {
        let request = ValidationRequest(
            pan: "4111111111111112",
            expiry: "10/26",
            csc: "X",
            address: Address(street: "9 B St", postalCode: "99999"),
            onFileAddress: Address(street: "1 A St", postalCode: "12345")
        )
        let result = try validate(request)
        #expect(result.action == .decline)
        #expect(result.reasons.names == ["luhn_failed", "expired", "csc_S", "avs_N"])
        // Every check is still reported after the Luhn failure.
        #expect(result.expiry == .expired && result.csc?.result == .S && result.avs?.code == .N)

        let retryOverReview = try validate(
            ValidationRequest(
                pan: Self.visa,
                csc: "I",
                address: Address(postalCode: "1")
            )
        )
        #expect(retryOverReview.action == .retry)
        #expect(retryOverReview.reasons.names == ["csc_P", "avs_U"])
    }

    @Test("the policy is data: a merchant can override any mapping")
    func overrides() throws {
        var policy = DecisionPolicy.cardNetworkDefaults
        try policy.set(.decline, forReasonNamed: "avs_N")
        try policy.set(.accept, forReasonNamed: "csc_U")
        policy[.brandUnknown] = .decline
        let request = ValidationRequest(
            pan: Self.visa,
            csc: "123",
            address: Address(postalCode: "99999"),
            onFileAddress: Address(postalCode: "12345")
        )
        #expect(try validate(request).action == .review)
        let overridden = try validate(request, policy: policy)
        #expect(overridden.action == .decline)
        #expect(overridden.reasons.names == ["avs_N"])
        #expect(throws: PolicyError.unknownReason("avs_n")) { try policy.set(.accept, forReasonNamed: "avs_n") }
    }

    @Test("every reason has a unique name that round-trips")
    func reasonNames() {
        let names = Reason.allCases.map(\.name)
        #expect(Set(names).count == names.count)
        for reason in Reason.allCases { #expect(Reason(name: reason.name) == reason) }
        #expect(Reason(AVSCode.Z).name == "avs_Z" && Reason(CSCResult.X).name == "csc_X")
        #expect(Reason.allCases.count <= 64, "a ReasonSet is one 64-bit mask")
    }

    @Test("a request that asks nothing is an error; request errors are typed")
    func requestErrors() {
        #expect(throws: ValidationError.nothingToCheck) { try validate(ValidationRequest()) }
        #expect(throws: ValidationError.nothingToCheck) {
            try validate(ValidationRequest(onFileAddress: Address(postalCode: "1")))
        }
        #expect(throws: ValidationError.panInvalidCharacter(position: 1)) { try validate(ValidationRequest(pan: "x")) }
        #expect(throws: ValidationError.cscIndicatorInvalid(3)) {
            try validate(ValidationRequest(pan: Self.visa, cscIndicator: 3))
        }
    }

    @Test("any subset of checks works without a PAN")
    func withoutPAN() throws {
        let expiryOnly = try validate(ValidationRequest(expiry: "12/30"))
        #expect(expiryOnly.pan == nil && expiryOnly.expiry == .valid && expiryOnly.action == .accept)
        let cscOnly = try validate(ValidationRequest(csc: "1234"))
        #expect(cscOnly.csc?.formatValid == true)
        let avsOnly = try validate(
            ValidationRequest(
                address: Address(street: "1 A St", postalCode: "12345-6789"),
                onFileAddress: Address(street: "1 A St", postalCode: "123456789")
            )
        )
        #expect(avsOnly.avs?.code == .X && avsOnly.action == .accept)
    }

    @Test("the CSC length follows the brand found from the PAN")
    func cscFollowsBrand() throws {
        let amex = try validate(ValidationRequest(pan: "378282246310005", csc: "1234"))
        #expect(amex.csc?.formatValid == true && amex.csc?.result == .U)
        let amexShort = try validate(ValidationRequest(pan: "378282246310005", csc: "123"))
        #expect(amexShort.csc?.formatValid == false && amexShort.csc?.result == .P)
    }

    @Test("international mode changes G into a real comparison")
    func internationalOption() throws {
        let request = ValidationRequest(
            pan: Self.visa,
            address: Address(street: "10 Downing St", postalCode: "SW1A 2AA"),
            onFileAddress: Address(street: "10 Downing Street", postalCode: "SW1A2AA", country: "GB")
        )
        #expect(try validate(request).avs?.code == .G)
        let international = try validate(request, options: AVSOptions(international: true))
        #expect(international.avs?.code == .D && international.action == .accept)
    }
}
