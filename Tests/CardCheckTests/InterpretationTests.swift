import CardCheck
import Testing

@Suite("Interpretation of issuer-returned codes")
struct InterpretationTests {
    /// codes.md: letter, street flag, postal flag (Y, N, - not checked, X not supported).
    static let avsFlags: [(Character, Character, Character)] = [
        ("A", "Y", "N"), ("B", "Y", "-"), ("C", "N", "N"), ("D", "Y", "Y"), ("E", "-", "-"), ("F", "-", "Y"),
        ("G", "X", "X"), ("H", "Y", "Y"), ("I", "-", "-"), ("J", "Y", "Y"), ("K", "N", "N"), ("L", "N", "Y"),
        ("M", "Y", "Y"), ("N", "N", "N"), ("O", "Y", "N"), ("P", "-", "Y"), ("Q", "Y", "Y"), ("R", "-", "-"),
        ("S", "X", "X"), ("T", "Y", "-"), ("U", "-", "-"), ("V", "Y", "Y"), ("W", "N", "Y"), ("X", "Y", "Y"),
        ("Y", "Y", "Y"), ("Z", "N", "Y"),
    ]

    static func flag(_ letter: Character) -> MatchFlag {
        switch letter {
        case "Y": .match
        case "N": .noMatch
        case "X": .notSupported
        default: .notChecked
        }
    }

    @Test("every AVS letter A to Z has its meaning and match flags", arguments: avsFlags)
    func avsLetters(letter: Character, street: Character, postal: Character) throws {
        let code = try #require(AVSCode(letter: letter))
        let meaning = Interpretation.avs(code)
        #expect(meaning.code == code)
        #expect(meaning.street == Self.flag(street), "street of \(letter)")
        #expect(meaning.postal == Self.flag(postal), "postal of \(letter)")
        #expect(!meaning.meaning.isEmpty && !meaning.advice.isEmpty)
    }

    @Test(
        "the seed's recommended AVS actions",
        arguments: [
            ("X", Action.accept), ("Y", .accept), ("D", .accept), ("M", .accept), ("A", .review), ("W", .review),
            ("Z", .review), ("N", .review), ("U", .review), ("G", .review), ("R", .retry), ("S", .review),
            ("C", .review), ("B", .review), ("P", .review), ("I", .review), ("E", .review), ("H", .review),
            ("K", .review), ("J", .accept), ("Q", .accept), ("V", .accept),
        ] as [(Character, Action)]
    )
    func avsActions(letter: Character, action: Action) throws {
        let code = try #require(AVSCode(letter: letter))
        // The policy's defaults are made from this table, so the table is what is checked here; that the
        // engine applies the policy is DecisionPolicyTests' job.
        #expect(Interpretation.avs(code).recommendedAction == action)
    }

    @Test(
        "every CSC result has a meaning and the seed's action",
        arguments: [
            ("M", Action.accept), ("N", .decline), ("P", .retry), ("S", .review), ("U", .review), ("D", .decline),
            ("I", .retry), ("X", .review),
        ] as [(Character, Action)]
    )
    func cscResults(letter: Character, action: Action) throws {
        let code = try #require(CSCResult(letter: letter))
        let meaning = Interpretation.csc(code)
        #expect(meaning.recommendedAction == action)
        #expect(!meaning.meaning.isEmpty && !meaning.advice.isEmpty)
    }

    @Test("letters outside the tables are refused")
    func unknownLetters() {
        #expect(AVSCode(letter: "a") == nil)
        #expect(AVSCode(letter: "1") == nil)
        #expect(AVSCode(letter: "É") == nil)
        #expect(CSCResult(letter: "Q") == nil)
        #expect(AVSCode.allCases.map(\.letter) == Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    }
}
