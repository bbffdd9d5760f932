/// Compares the address a customer entered with the one on file, the way issuers do: the numeric parts of
/// the street line (house number and other digit groups), and the digits of a US ZIP code.
///
/// - No on-file address: `U`. An on-file country outside the US: `G`, unless ``AVSOptions/international``.
/// - US: street and 9-digit ZIP `X`, street and 5-digit ZIP `Y`, street only `A`, 9-digit ZIP only `W`,
///   5-digit ZIP only `Z`, neither `N`; nothing comparable on either side `U`.
/// - International: both `D`, street only `B`, postcode only `P`, neither `C`, nothing comparable `I`.
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
        if onFile.hasNothingToCompare { return AVSCheck(code: .U, streetMatch: nil, postalMatch: nil) }
        let domestic = Country.isUnitedStates(onFile.country)
        if !domestic && !options.international {
            return AVSCheck(code: .G, streetMatch: nil, postalMatch: nil)
        }
        let street = streetMatch(entered.street, onFile.street)
        if domestic {
            let zip = PostalCode.compareZIP(entered.postalCode, onFile.postalCode)
            let postal: Bool? = zip.map { $0 != .none }
            let code: AVSCode
            switch (street, zip) {
            case (nil, nil): code = .U
            case (true, .nine?): code = .X
            case (true, .five?): code = .Y
            case (true, _): code = .A
            case (_, .nine?): code = .W
            case (_, .five?): code = .Z
            default: code = .N
            }
            return AVSCheck(code: code, streetMatch: street, postalMatch: postal)
        } else {
            let postal = PostalCode.compareAlphanumeric(entered.postalCode, onFile.postalCode)
            let code: AVSCode
            switch (street, postal) {
            case (nil, nil): code = .I
            case (true, true): code = .D
            case (true, _): code = .B
            case (_, true): code = .P
            default: code = .C
            }
            return AVSCheck(code: code, streetMatch: street, postalMatch: postal)
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
