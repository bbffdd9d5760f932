/// An address verification (AVS) result code: one letter A-Z, as issuers and gateways return them.
/// ``AddressMatcher`` produces X, Y, A, W, Z, N, U, G (domestic) and D, B, P, C, I (international);
/// R is reserved for a lookup that failed transiently; the others come from issuers (see ``Interpretation``).
public enum AVSCode: UInt8, Sendable, Hashable, CaseIterable {
    case A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S, T, U, V, W, X, Y, Z

    public var letter: Character { Character(Unicode.Scalar(UInt8(ascii: "A") + rawValue)) }

    public init?(letter: Character) {
        guard let ascii = letter.asciiValue, ascii >= UInt8(ascii: "A"),
              let code = AVSCode(rawValue: ascii - UInt8(ascii: "A"))
        else { return nil }
        self = code
    }
}

/// An address as the customer entered it or as the issuer has it on file.
public struct Address: Sendable, Hashable {
    public var street: String?
    public var postalCode: String?
    /// ISO 3166 alpha-2 or alpha-3 code, numeric code, or English name; absent means the United States.
    public var country: String?

    public init(street: String? = nil, postalCode: String? = nil, country: String? = nil) {
        self.street = street
        self.postalCode = postalCode
        self.country = country
    }

    /// True when the address has neither a street line nor a postal code to compare.
    @inlinable public var hasNothingToCompare: Bool {
        street.isBlank && postalCode.isBlank
    }
}

/// How addresses are compared.
public struct AVSOptions: Sendable, Hashable {
    /// Also compare the words of the street line (normalised: case, punctuation, suffix and directional
    /// abbreviations), not only its numbers.
    public var strictStreet: Bool
    /// Match non-US on-file addresses (alphanumeric postcodes) and answer with the Visa international codes
    /// D, B, P, C, I instead of G.
    public var international: Bool

    public init(strictStreet: Bool = false, international: Bool = false) {
        self.strictStreet = strictStreet
        self.international = international
    }
}

/// The outcome of an address comparison.
@frozen public struct AVSCheck: Sendable, Hashable {
    public var code: AVSCode
    /// `nil` when the street could not be compared (missing on either side, or not verified).
    public var streetMatch: Bool?
    /// `nil` when the postal code could not be compared.
    public var postalMatch: Bool?

    @inlinable public init(code: AVSCode, streetMatch: Bool?, postalMatch: Bool?) {
        self.code = code
        self.streetMatch = streetMatch
        self.postalMatch = postalMatch
    }
}

extension Optional where Wrapped == String {
    @inlinable var isBlank: Bool {
        withUTF8Bytes { bytes in bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 } }
    }
}
