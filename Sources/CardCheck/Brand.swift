/// A card brand (scheme): its name and the facts the checks need (PAN lengths, security code, Luhn rule).
///
/// Brands are data: the built-in ones come from `data/brands.csv` (compiled in as ``BuiltInCardData``), and a
/// brands file declares more at run time (``CardDataFile``). Two brands are the same brand when their names
/// are, so a brand keeps its identity across reloads.
public struct Brand: Sendable, Hashable, CustomStringConvertible {
    /// The stable machine name used in JSON, on the wire and in configuration: `[a-z0-9-]`, 1 to 32 bytes.
    public let name: String
    /// What the brand calls its card security code (CVV, CVC, CID, ...).
    public let securityCodeName: String
    /// Digits in the card security code (3, or 4 on the front of American Express cards).
    public let securityCodeLength: Int
    public let securityCodeLocation: SecurityCodeLocation
    public let luhn: LuhnRule
    /// The PAN lengths the brand issues, where a range does not say.
    public let validLengths: PANLengths
    /// A legacy name (Switch, Solo) never becomes a card's brand; it is reported beside the live one.
    public let isLegacy: Bool

    public init(
        name: String,
        securityCodeName: String = "CSC",
        securityCodeLength: Int = 3,
        securityCodeLocation: SecurityCodeLocation = .back,
        luhn: LuhnRule = .required,
        validLengths: PANLengths = .from(12, through: 19),
        isLegacy: Bool = false
    ) {
        self.name = name
        self.securityCodeName = securityCodeName
        self.securityCodeLength = securityCodeLength
        self.securityCodeLocation = securityCodeLocation
        self.luhn = luhn
        self.validLengths = validLengths
        self.isLegacy = isLegacy
    }

    /// A brand known only by its name (as a client reads one from an answer): the default code and lengths.
    public init(named name: String) {
        self = Brand.builtIn(named: name) ?? Brand(name: name)
    }

    public static func == (lhs: Brand, rhs: Brand) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
    public var description: String { name }

    /// The built-in brand named `name`, if there is one.
    public static func builtIn(named name: String) -> Brand? { BuiltInCardData.brandsByName[name] }

    /// Every built-in brand, in the order of `data/brands.csv`.
    public static var builtIn: [Brand] { BuiltInCardData.catalog.brands }

    // The brands the engine itself names (American Express's codes, UnionPay's Luhn rule), and the
    // credit-card-type brands by name for callers and tests.
    public static let visa = BuiltInCardData.brand("visa")
    public static let mastercard = BuiltInCardData.brand("mastercard")
    public static let americanExpress = BuiltInCardData.brand("american-express")
    public static let dinersClub = BuiltInCardData.brand("diners-club")
    public static let discover = BuiltInCardData.brand("discover")
    public static let jcb = BuiltInCardData.brand("jcb")
    public static let unionPay = BuiltInCardData.brand("unionpay")
    public static let maestro = BuiltInCardData.brand("maestro")
    public static let elo = BuiltInCardData.brand("elo")
    public static let mir = BuiltInCardData.brand("mir")
    public static let hiper = BuiltInCardData.brand("hiper")
    public static let hipercard = BuiltInCardData.brand("hipercard")
    public static let naranja = BuiltInCardData.brand("naranja")
    public static let verve = BuiltInCardData.brand("verve")
    public static let troy = BuiltInCardData.brand("troy")
    public static let switchUK = BuiltInCardData.brand("switch")
    public static let solo = BuiltInCardData.brand("solo")
}

/// Where the card security code is printed.
public enum SecurityCodeLocation: String, Sendable, Hashable {
    case front, back
}

/// Whether a brand's numbers must pass Mod 10.
public enum LuhnRule: String, Sendable, Hashable {
    /// A failure is `luhn_failed` (declined by default).
    case required
    /// Some numbers do not satisfy Mod 10 (or carry another check digit): a failure is reported with its own
    /// reason (`unionpay_luhn_failed` for UnionPay, `luhn_optional_failed` for others), reviewed by default.
    case optional
}

/// A set of PAN lengths (12 to 19 digits), stored as a bit mask so that checks never allocate.
@frozen public struct PANLengths: Sendable, Hashable {
    public static let allowed: ClosedRange<Int> = 12...19

    @usableFromInline let bits: UInt32

    @inlinable init(bits: UInt32) { self.bits = bits }

    /// The given lengths.
    @inlinable public static func of(_ lengths: Int...) -> PANLengths {
        PANLengths(bits: lengths.reduce(0) { $0 | 1 << UInt32($1) })
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

    /// Reads `16`, `13;16;19` or `12-19` (and mixes: `12-15;19`), every length within 12 to 19.
    public init?(text: Substring) {
        var bits: UInt32 = 0
        for item in text.split(separator: ";", omittingEmptySubsequences: false) {
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count <= 2, let low = Int(bounds[0]), let high = Int(bounds[bounds.count - 1]),
                PANLengths.allowed.contains(low), PANLengths.allowed.contains(high), low <= high
            else { return nil }
            bits |= PANLengths.from(low, through: high).bits
        }
        self.init(bits: bits)
    }
}
