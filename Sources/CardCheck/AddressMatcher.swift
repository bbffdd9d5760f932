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
    @inlinable public func check(entered: Address, onFile: Address?) -> AVSCheck? {
        if entered.hasNothingToCompare { return nil }
        guard let onFile, !onFile.hasNothingToCompare else {
            return AVSCheck(code: .U, streetMatch: nil, postalMatch: nil)
        }
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
    @inlinable func streetMatch(_ entered: String?, _ onFile: String?) -> Bool? {
        if entered.isBlank || onFile.isBlank { return nil }
        return entered.withUTF8Bytes { enteredBytes in
            onFile.withUTF8Bytes { onFileBytes in
                let numbers = StreetLine.digitGroupsEqual(enteredBytes, onFileBytes)
                guard numbers else { return false }
                if options.strictStreet || !StreetLine.containsDigit(onFileBytes) {
                    return StreetLine.wordsEqual(enteredBytes, onFileBytes)
                }
                return true
            }
        }
    }
}

/// Recognises the United States among the ways a country is written.
public enum Country {
    @usableFromInline static let unitedStatesSpellings: [String] = [
        "US", "USA", "840", "UNITED STATES", "UNITED STATES OF AMERICA",
    ]

    /// True for an absent or blank country (AVS is a US service), and for US, USA, 840 and the English
    /// names, in any case.
    @inlinable public static func isUnitedStates(_ country: String?) -> Bool {
        country.withUTF8Bytes { bytes in
            let trimmed = bytes.trimmingBlanks()
            if trimmed.isEmpty { return true }
            for spelling in unitedStatesSpellings {
                let matches = spelling.withUTF8Bytes { expected in
                    expected.count == trimmed.count
                        && zip(expected, trimmed).allSatisfy { $0 == $1.asciiUppercased }
                }
                if matches { return true }
            }
            return false
        }
    }
}

extension UnsafeBufferPointer<UInt8> {
    @inlinable func trimmingBlanks() -> Slice<UnsafeBufferPointer<UInt8>> {
        var slice = self[...]
        while let first = slice.first, first == 0x20 || first == 0x09 { slice = slice.dropFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 { slice = slice.dropLast() }
        return slice
    }
}

extension UInt8 {
    @inlinable var asciiUppercased: UInt8 { self &- 0x61 < 26 ? self &- 0x20 : self }
    @inlinable var isASCIILetter: Bool { (self | 0x20) &- 0x61 < 26 }
}
