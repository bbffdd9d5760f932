/// A card brand (scheme), decided from the IIN prefix of the PAN.
///
/// Every brand carries the PAN lengths it issues and the name and length of its card security code.
/// The prefix ranges themselves live in ``BrandTable`` so that they can be edited as data.
public enum Brand: UInt8, Sendable, CaseIterable, Hashable, Codable {
    case visa = 1
    case mastercard
    case americanExpress
    case dinersClub
    case discover
    case jcb
    case unionPay
    case maestro
    case elo
    case mir
    case hiper
    case hipercard
    case naranja
    case verve
    case troy
    /// Legacy UK debit name, rebranded Maestro in 2002. A legacy name never overrides a live brand: the
    /// brand table has no range of its own for it (its old ranges are Visa's and Maestro's today).
    case switchUK
    /// Legacy UK debit name, withdrawn in 2011; as ``switchUK``, never answered as a card's brand.
    case solo

    /// The stable machine name used in JSON, on the wire and in configuration.
    public var name: String {
        switch self {
        case .visa: "visa"
        case .mastercard: "mastercard"
        case .americanExpress: "american-express"
        case .dinersClub: "diners-club"
        case .discover: "discover"
        case .jcb: "jcb"
        case .unionPay: "unionpay"
        case .maestro: "maestro"
        case .elo: "elo"
        case .mir: "mir"
        case .hiper: "hiper"
        case .hipercard: "hipercard"
        case .naranja: "naranja"
        case .verve: "verve"
        case .troy: "troy"
        case .switchUK: "switch"
        case .solo: "solo"
        }
    }

    /// Looks a brand up by its machine name (``name``).
    public init?(name: String) {
        guard let brand = Brand.allCases.first(where: { $0.name == name }) else { return nil }
        self = brand
    }

    /// The PAN lengths this brand issues (constants: no table to load, no lazy global to guard).
    @inlinable public var validLengths: PANLengths {
        switch self {
        case .visa: .of(13, 16, 18, 19)  // 13: older cards and published test numbers (4222222222222)
        case .mastercard: .of(16)
        case .americanExpress: .of(15)
        case .dinersClub: .of(14, 16, 19)
        case .discover: .of(16, 19)
        case .jcb: .from(16, through: 19)
        case .unionPay: .from(14, through: 19)
        case .maestro: .from(12, through: 19)
        case .elo: .of(16)
        case .mir: .from(16, through: 19)
        case .hiper, .hipercard, .naranja, .troy: .of(16)
        case .verve: .of(16, 18, 19)
        case .switchUK, .solo: .of(16, 18, 19)
        }
    }

    /// What the brand calls its card security code.
    public var securityCodeName: String {
        switch self {
        case .visa, .dinersClub, .jcb, .naranja, .verve, .troy, .switchUK, .solo: "CVV"
        case .mastercard, .maestro, .hiper, .hipercard: "CVC"
        case .americanExpress, .discover: "CID"
        case .unionPay: "CVN"
        case .elo: "CVE"
        case .mir: "CVP2"
        }
    }

    /// Digits in the card security code: 4 on the front of American Express cards, 3 on the back of all others.
    public var securityCodeLength: Int {
        self == .americanExpress ? 4 : 3
    }
}

/// A set of PAN lengths (12 to 19 digits), stored as a bit mask so that checks never allocate.
@frozen public struct PANLengths: Sendable, Hashable {
    public static let allowed: ClosedRange<Int> = 12...19

    @usableFromInline let bits: UInt32

    @inlinable init(bits: UInt32) { self.bits = bits }

    /// The given lengths (at most four, which is all any brand needs).
    @inlinable public static func of(_ a: Int, _ b: Int? = nil, _ c: Int? = nil, _ d: Int? = nil) -> PANLengths {
        PANLengths(
            bits: 1 << UInt32(a) | (b.map { 1 << UInt32($0) } ?? 0) | (c.map { 1 << UInt32($0) } ?? 0)
                | (d.map { 1 << UInt32($0) } ?? 0)
        )
    }

    /// Every length from `low` through `high`.
    @inlinable public static func from(_ low: Int, through high: Int) -> PANLengths {
        PANLengths(bits: (1 << UInt32(high + 1)) - (1 << UInt32(low)))
    }

    @inlinable public func contains(_ length: Int) -> Bool {
        length >= 0 && length < 32 && bits & (1 << UInt32(length)) != 0
    }

    /// The lengths in ascending order.
    public var lengths: [Int] { PANLengths.allowed.filter(contains) }
}
