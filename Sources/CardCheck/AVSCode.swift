/// An address verification (AVS) result code: one letter A-Z, as issuers and gateways return them.
/// ``AddressMatcher`` produces X, Y, A, W, Z, N, U, G (domestic) and D, B, P, C, I with A and Z (international);
/// R is reserved for a lookup that failed transiently; the others come from issuers (see ``Interpretation``).
public enum AVSCode: UInt8, Sendable, Hashable, CaseIterable {
    case A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S, T, U, V, W, X, Y, Z

    public var letter: Character { Character(Unicode.Scalar(asciiLetter)) }

    /// The letter as one ASCII byte.
    @inlinable public var asciiLetter: UInt8 { UInt8(ascii: "A") + rawValue }

    /// What the letter says of the street (codes.md's table; ``Interpretation`` and ``AVSCheck`` read it
    /// here). Only B, P and I (Visa, non-US) can say that a part was not verified; the US letters count a
    /// part that was not compared as not matching, as issuers answer.
    @inlinable public var street: MatchFlag {
        switch self {
        case .A, .B, .D, .H, .J, .M, .O, .Q, .T, .V, .X, .Y: .match
        case .C, .K, .L, .N, .W, .Z: .noMatch
        case .G, .S: .notSupported
        case .E, .F, .I, .P, .R, .U: .notChecked
        }
    }

    /// What the letter says of the postal code (see ``street``).
    @inlinable public var postal: MatchFlag {
        switch self {
        case .D, .F, .H, .J, .L, .M, .P, .Q, .V, .W, .X, .Y, .Z: .match
        case .A, .C, .K, .N, .O: .noMatch
        case .G, .S: .notSupported
        case .B, .E, .I, .R, .T, .U: .notChecked
        }
    }

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

    /// Runs `body` with the address's fields as borrowed UTF-8 bytes.
    @inlinable public func withFields<R>(_ body: (AddressFields) -> R) -> R {
        withUTF8Fields(street, postalCode, country) { street, postalCode, country in
            body(AddressFields(street: street, postalCode: postalCode, country: country))
        }
    }
}

/// An address as borrowed UTF-8 bytes: what the matcher works on.
@frozen public struct AddressFields {
    public var street: UTF8Field
    public var postalCode: UTF8Field
    public var country: UTF8Field

    @inlinable public init(street: UTF8Field = nil, postalCode: UTF8Field = nil, country: UTF8Field = nil) {
        self.street = street
        self.postalCode = postalCode
        self.country = country
    }

    /// True when the address has neither a street line nor a postal code to compare.
    @inlinable public var hasNothingToCompare: Bool { street.isBlank && postalCode.isBlank }
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

/// The outcome of an address comparison: a letter, and what it says of each part (the flags never say
/// something the letter does not).
@frozen public struct AVSCheck: Sendable, Hashable {
    public var code: AVSCode
    /// The letter's word on the street: `nil` where it says "not verified" (B, P, I) or nothing (U, G).
    public var streetMatch: Bool?
    /// The letter's word on the postal code, likewise.
    public var postalMatch: Bool?

    /// A letter and its flags.
    @inlinable public init(code: AVSCode) {
        self.init(code: code, streetMatch: code.street.asBool, postalMatch: code.postal.asBool)
    }

    @inlinable public init(code: AVSCode, streetMatch: Bool?, postalMatch: Bool?) {
        self.code = code
        self.streetMatch = streetMatch
        self.postalMatch = postalMatch
    }
}
