/// Compares the address a customer entered with the one on file, the way issuers do: the numeric parts of
/// the street line (house number and other digit groups), and the digits of a US ZIP code.
///
/// - No on-file address: `U`. An on-file country outside the US: `G`, unless ``AVSOptions/international``.
/// - US: street and 9-digit ZIP `X`, street and 5-digit ZIP `Y`, street only `A`, 9-digit ZIP only `W`,
///   5-digit ZIP only `Z`, neither `N`; nothing comparable on either side `U`. A part that could not be
///   compared (not entered, or not on file) counts as not matching: these letters cannot say otherwise.
/// - International: both `D`; street matched and postcode failed `A`, postcode matched and street failed
///   `Z`; street matched and postcode not comparable `B`, the reverse `P`; no part matched `C`; nothing
///   comparable `I`.
///
/// The flags are the letter's (``AVSCheck/init(code:)``), so a result never says two things.
public struct AddressMatcher: Sendable, Hashable {
    public var options: AVSOptions

    public init(options: AVSOptions = AVSOptions()) {
        self.options = options
    }

    /// Returns `nil` when the entered address has nothing to compare (the check was not asked for).
    public func check(entered: Address, onFile: Address?) -> AVSCheck? {
        entered.withFields { entered in
            guard let onFile else { return check(entered: entered, onFile: AddressFields()) }
            return onFile.withFields { onFile in check(entered: entered, onFile: onFile) }
        }
    }

    /// Returns `nil` when the entered address has nothing to compare (the check was not asked for).
    @inlinable public func check(entered: AddressFields, onFile: AddressFields) -> AVSCheck? {
        if entered.hasNothingToCompare { return nil }
        if onFile.hasNothingToCompare { return AVSCheck(code: .U) }
        let domestic = Country.isUnitedStates(onFile.country)
        if !domestic && !options.international { return AVSCheck(code: .G) }
        let street = streetMatch(entered.street, onFile.street)
        if domestic {
            // The US letters have no "not verified": a part not compared counts as not matching.
            switch (street, PostalCode.compareZIP(entered.postalCode, onFile.postalCode)) {
            case (nil, nil): return AVSCheck(code: .U)
            case (true, .nine?): return AVSCheck(code: .X)
            case (true, .five?): return AVSCheck(code: .Y)
            case (true, _): return AVSCheck(code: .A)
            case (_, .nine?): return AVSCheck(code: .W)
            case (_, .five?): return AVSCheck(code: .Z)
            default: return AVSCheck(code: .N)
            }
        } else {
            // B, P and I say a part was not verified; a part compared and failed is A, Z or C.
            switch (street, PostalCode.compareAlphanumeric(entered.postalCode, onFile.postalCode)) {
            case (nil, nil): return AVSCheck(code: .I)
            case (true, true): return AVSCheck(code: .D)
            case (true, false): return AVSCheck(code: .A)
            case (true, nil): return AVSCheck(code: .B)
            case (false, true): return AVSCheck(code: .Z)
            case (nil, true): return AVSCheck(code: .P)
            default: return AVSCheck(code: .C)
            }
        }
    }

    /// `nil` when either side has no street line. Lines compare by their digit groups; when the on-file
    /// line has no digits at all, or in strict mode, their normalised words must match too.
    @inlinable func streetMatch(_ entered: UTF8Field, _ onFile: UTF8Field) -> Bool? {
        guard !entered.isBlank, !onFile.isBlank, let entered, let onFile else { return nil }
        guard StreetLine.digitGroupsEqual(entered, onFile) else { return false }
        if options.strictStreet || !StreetLine.containsDigit(onFile) {
            return StreetLine.wordsEqual(entered, onFile)
        }
        return true
    }
}

/// Recognises the United States among the ways a country is written.
public enum Country {
    @usableFromInline static let unitedStatesSpellings: [[UInt8]] = [
        "US", "USA", "840", "UNITED STATES", "UNITED STATES OF AMERICA",
    ].map { Array($0.utf8) }

    /// True for an absent or blank country (AVS is a US service), and for US, USA, 840 and the English
    /// names, in any case.
    @inlinable public static func isUnitedStates(_ country: UTF8Field) -> Bool {
        guard let country else { return true }
        var start = 0
        var end = country.count
        while start < end && (country[start] == 0x20 || country[start] == 0x09) { start &+= 1 }
        while end > start && (country[end &- 1] == 0x20 || country[end &- 1] == 0x09) { end &-= 1 }
        if start == end { return true }
        spellings: for spelling in unitedStatesSpellings where spelling.count == end &- start {
            for index in 0..<spelling.count where spelling[index] != country[start &+ index].asciiUppercased {
                continue spellings
            }
            return true
        }
        return false
    }

    public static func isUnitedStates(_ country: String?) -> Bool {
        country.withUTF8Field { isUnitedStates($0) }
    }
}
