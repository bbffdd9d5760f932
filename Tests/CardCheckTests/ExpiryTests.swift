import CardCheck
import Testing

@Suite("Expiry dates with an injected month")
struct ExpiryTests {
    @Test(
        "valid through the last day of its month; formats MMYY, MM/YY, MM/YYYY",
        arguments: [
            ("11/26", ExpiryStatus.valid), ("1126", .valid), ("11/2026", .valid),
            ("10/26", .expired), ("1026", .expired), ("10/2026", .expired), ("12/25", .expired),
            ("12/26", .valid), ("01/27", .valid),
            ("11/46", .valid), ("11/2046", .valid),  // exactly 240 months ahead
            ("12/46", .tooFarAhead), ("12/2046", .tooFarAhead), ("01/2099", .tooFarAhead),
            ("99", .malformed), ("12/99", .expired),  // two-digit 99 is 1999 in 2026
            ("13/26", .malformed), ("00/26", .malformed), ("1/26", .malformed), ("12-26", .malformed),
            ("12/2", .malformed), ("", .malformed), ("abcd", .malformed), ("12/026", .malformed),
            ("12 / 26", .malformed), ("1226 ", .malformed), ("1a26", .malformed),
        ]
    )
    func inNovember2026(text: String, status: ExpiryStatus) {
        #expect(Expiry.check(text, today: november2026) == status)
    }

    @Test("at the year boundary")
    func yearBoundary() {
        let december = YearMonth.at(2026, 12)
        let january = YearMonth.at(2027, 1)
        #expect(Expiry.check("12/26", today: december) == .valid)
        #expect(Expiry.check("11/26", today: december) == .expired)
        #expect(Expiry.check("12/26", today: january) == .expired)
        #expect(Expiry.check("01/27", today: january) == .valid)
        #expect(Expiry.check("01/47", today: january) == .valid)
        #expect(Expiry.check("02/47", today: january) == .tooFarAhead)
    }

    @Test("two-digit years resolve within 79 years back and 20 ahead, across centuries")
    func twoDigitWindow() {
        #expect(Expiry.parse("05/46", today: november2026)?.month == .at(2046, 5))
        #expect(Expiry.parse("05/47", today: november2026)?.month == .at(1947, 5))
        #expect(Expiry.parse("05/00", today: .at(2099, 6))?.month == .at(2100, 5))
        #expect(Expiry.parse("05/19", today: .at(2099, 6))?.month == .at(2119, 5))
        #expect(Expiry.parse("05/20", today: .at(2099, 6))?.month == .at(2020, 5))
    }

    @Test(
        "the UTC month of a Unix time",
        arguments: [
            (Int64(0), YearMonth.at(1970, 1)), (1_796_083_199, .at(2026, 11)), (1_796_083_200, .at(2026, 12)),
            (1_709_208_000, .at(2024, 2)), (-1, .at(1969, 12)), (951_868_800, .at(2000, 3)),
        ]
    )
    func monthOfUnixTime(time: Int64, month: YearMonth) {
        #expect(YearMonth(unixTime: time) == month)
    }

    @Test("month must be 1 to 12")
    func monthRange() {
        #expect(YearMonth(year: 2026, month: 0) == nil)
        #expect(YearMonth(year: 2026, month: 13) == nil)
        #expect(YearMonth(year: 2026, month: 12)?.description == "2026-12")
    }
}
