import CardCheck
import Testing

/// Every (street, postal code, country, mode) scenario: the letter is the one an independent reading of
/// what was compared gives, and the flags say what the letter says (as `cardcheck interpret` reads it),
/// never contradicting a part that was compared.
@Suite("AVS letter and flags agree")
struct AVSScenarioTests {
    enum Part: Equatable {
        case notCompared
        case match
        /// A US ZIP code matching on 9 digits (`match` is then 5).
        case matchNine
        case noMatch
    }

    struct Scenario: CustomStringConvertible {
        var international: Bool
        var entered: Address
        var onFile: Address
        var street: Part
        var postal: Part

        var description: String {
            "\(international ? "international" : "domestic"): entered \(entered), on file \(onFile)"
        }
    }

    static let scenarios: [Scenario] = {
        var all: [Scenario] = []
        // (on-file street, on-file postal code, country; entered postal codes and the part each gives)
        let homes: [(street: String, postal: String, country: String, postals: [(String?, Part)])] = [
            (
                "1600 Pennsylvania Ave NW", "20500-0003", "US",
                [(nil, .notCompared), ("20500-0003", .matchNine), ("20500", .match), ("90210", .noMatch)]
            ),
            (
                "10 Downing Street", "SW1A 2AA", "GB",
                [(nil, .notCompared), ("sw1a2aa", .match), ("EC1A 1BB", .noMatch)]
            ),
        ]
        for international in [false, true] {
            for home in homes {
                for onFileStreet in [home.street, nil] {
                    for onFilePostal in [home.postal, nil] {
                        let onFile = Address(street: onFileStreet, postalCode: onFilePostal, country: home.country)
                        let streets: [(String?, Part)] = [
                            (nil, .notCompared), (home.street.uppercased(), .match), ("77 Other Road", .noMatch),
                        ]
                        for (street, streetPart) in streets {
                            for (postal, postalPart) in home.postals {
                                for country in [nil, home.country] {
                                    all.append(
                                        Scenario(
                                            international: international,
                                            entered: Address(street: street, postalCode: postal, country: country),
                                            onFile: onFile,
                                            street: onFileStreet == nil ? .notCompared : streetPart,
                                            postal: onFilePostal == nil ? .notCompared : postalPart
                                        )
                                    )
                                }
                            }
                        }
                    }
                }
            }
        }
        return all
    }()

    /// The letter from what was compared, written from the code tables (shared/reference/codes.md), not
    /// from the matcher: `nil` when nothing was entered.
    static func expectedLetter(_ scenario: Scenario) -> AVSCode? {
        if scenario.entered.street == nil && scenario.entered.postalCode == nil { return nil }
        if scenario.onFile.street == nil && scenario.onFile.postalCode == nil { return .U }
        let unitedStates = scenario.onFile.country == "US"
        if !unitedStates && !scenario.international { return .G }
        switch (scenario.street, scenario.postal) {
        case (.notCompared, .notCompared): return unitedStates ? .U : .I
        case (.match, .matchNine): return .X
        case (.match, .match): return unitedStates ? .Y : .D
        case (.match, .noMatch): return .A
        case (.match, .notCompared): return unitedStates ? .A : .B
        case (_, .matchNine): return .W
        case (.noMatch, .match): return .Z
        case (.notCompared, .match): return unitedStates ? .Z : .P
        default: return unitedStates ? .N : .C
        }
    }

    @Test("336 scenarios: the letter from what was compared, the flags from the letter")
    func everyScenario() {
        #expect(Self.scenarios.count == 336)
        for scenario in Self.scenarios {
            let matcher = AddressMatcher(options: AVSOptions(international: scenario.international))
            let check = matcher.check(entered: scenario.entered, onFile: scenario.onFile)
            guard let letter = Self.expectedLetter(scenario) else {
                #expect(check == nil, "\(scenario)")
                continue
            }
            guard let check else {
                Issue.record("no AVS result: \(scenario)")
                continue
            }
            #expect(check.code == letter, "\(scenario)")
            let meaning = Interpretation.avs(check.code)
            #expect(check.streetMatch == meaning.street.asBool, "street flag vs \(check.code): \(scenario)")
            #expect(check.postalMatch == meaning.postal.asBool, "postal flag vs \(check.code): \(scenario)")
            // A compared part is never reported otherwise (G: a non-US address is not compared at all).
            if letter == .G { continue }
            if scenario.street == .match { #expect(check.streetMatch == true, "\(scenario)") }
            if scenario.street == .noMatch { #expect(check.streetMatch == false, "\(scenario)") }
            if [.match, .matchNine].contains(scenario.postal) { #expect(check.postalMatch == true, "\(scenario)") }
            if scenario.postal == .noMatch { #expect(check.postalMatch == false, "\(scenario)") }
        }
    }
}
