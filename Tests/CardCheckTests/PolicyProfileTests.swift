import CardCheck
import Testing

@Suite("Merchant policy profiles")
struct PolicyProfileTests {
    static let today = YearMonth(year: 2026, month: 12)!

    /// 10,000 names, many sharing prefixes and lengths, so that probes collide.
    static let names: [String] = (0..<10_000).map { index in
        switch index % 4 {
        case 0: "m\(index)"
        case 1: "merchant-\(index)"
        case 2: "shop_\(index).eu"
        default: String(repeating: "x", count: 1 + index % 60) + "\(index)"
        }
    }

    @Test("10,000 profiles: each name finds its own profile; near misses find none")
    func lookup() throws {
        var files: [(name: String, text: String)] = []
        for (index, name) in Self.names.enumerated() {
            // Each profile's action for csc_U says which profile it is: index % 4.
            let action = ["accept", "review", "retry", "decline"][index % 4]
            files.append(("\(name).conf", "csc_U = \(action)\n"))
        }
        let profiles = try PolicyProfiles.compile(files: files, base: PolicyProfile())
        #expect(profiles.count == 10_000)
        for (index, name) in Self.names.enumerated() {
            let expected: Action = [.accept, .review, .retry, .decline][index % 4]
            #expect(profiles.profile(named: name)?.policy[.cscU] == expected, "\(name)")
        }
        for miss in ["", "m", "m10000", "merchant-", "M0", "m0 ", "shop_2.eu.", "merchant-1x", "x"] {
            #expect(profiles.profile(named: miss) == nil, "\(miss)")
        }
    }

    @Test("a profile starts from the base policy; shifted lines add to the base's shifted overrides")
    func layering() throws {
        var base = PolicyProfile()
        base.policy[.avsN] = .decline
        base.shifted[.avsZ] = .accept
        let profile = try base.applying("# comment\n\n  csc_U = decline  # trailing\nshifted.avs_N = review\n")
        #expect(profile.policy[.avsN] == .decline)  // from the base
        #expect(profile.policy[.cscU] == .decline)  // its own
        #expect(profile.policy[.avsA] == DecisionPolicy.cardNetworkDefaults[.avsA])
        #expect(profile.shifted[.avsZ] == .accept && profile.shifted[.avsN] == .review)
        #expect(profile.shifted[.avsA] == nil)
    }

    @Test(
        "a bad line names its line; a bad file name is refused; files not ending in .conf are not profiles",
        arguments: [
            ("csc_U = maybe\n", 1, "must be accept"),
            ("\n# ok\navs_QQ = decline\n", 3, "unknown reason 'avs_QQ'"),
            ("avs_N decline\n", 1, "expected `REASON = action`"),
            ("shifted.nope = accept\n", 1, "unknown reason 'nope'"),
        ]
    )
    func errors(text: String, line: Int, message: String) {
        #expect {
            try PolicyProfiles.compile(
                files: [("good.conf", "avs_N = review\n"), ("bad.conf", text)],
                base: PolicyProfile()
            )
        } throws: { error in
            guard let error = error as? PolicyProfileError else { return false }
            return error.file == "bad.conf" && error.line == line && error.message.contains(message)
        }
    }

    @Test("file names: NAME.conf only, NAME of letters, digits, _ - ., at most 64")
    func fileNames() throws {
        let profiles = try PolicyProfiles.compile(
            files: [("a.conf", ""), ("README", "not a profile"), (".hidden.conf", "x"), ("b.conf.orig", "x")],
            base: PolicyProfile()
        )
        #expect(profiles.names == ["a"])
        for bad in ["sp ace.conf", "\(String(repeating: "n", count: 65)).conf", "é.conf", "a/b.conf"] {
            #expect(throws: PolicyProfileError.self) {
                try PolicyProfiles.compile(files: [(bad, "")], base: PolicyProfile())
            }
        }
    }

    @Test("a request's profile chooses the policy; an unknown one, or any without profiles, is unknown_profile")
    func validation() throws {
        let profiles = try PolicyProfiles.compile(
            files: [("strict.conf", "avs_Z = decline\nshifted.avs_Z = accept\n")],
            base: PolicyProfile()
        )
        var validator = Validator()
        validator.profiles = profiles
        func check(_ profile: String?, threeDS: ThreeDSData = ThreeDSData()) throws -> ValidationResult {
            try validator.validate(
                ValidationRequest(
                    pan: "4111111111111111",
                    address: Address(postalCode: "20500"),
                    onFileAddress: Address(street: "1 Main St", postalCode: "20500"),
                    threeDS: threeDS,
                    profile: profile
                ),
                today: Self.today
            )
        }
        #expect(try check(nil).action == .review)
        #expect(try check("strict").action == .decline)
        let authenticated = ThreeDSData(status: "Y", eci: "05", authenticationValue: "AAABCXJ5k5YCIxA0cnmTAAAAAAA=")
        #expect(try check("strict", threeDS: authenticated).action == .accept)
        #expect(throws: ValidationError.unknownProfile) { try check("lenient") }
        #expect(throws: ValidationError.unknownProfile) {
            try Validator().validate(ValidationRequest(pan: "4111111111111111", profile: "strict"), today: Self.today)
        }
    }
}
