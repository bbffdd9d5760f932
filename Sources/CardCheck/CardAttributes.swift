/// What the most specific matching range says about a card: its brand, the PAN lengths it issues, and
/// whatever the range file knows of the issuer. Immutable and shared: every result for a card of the range
/// holds the same object, so a lookup hands out a reference and never allocates.
public final class CardAttributes: Sendable, Hashable, CustomStringConvertible {
    public let brand: Brand
    /// The legacy name (Switch, Solo) of the card's range, reported beside the live brand.
    public let legacyBrand: Brand?
    public let lengths: PANLengths
    /// ISO 3166-1 alpha-2, upper case.
    public let issuerCountry: String?
    public let funding: Funding?
    public let product: String?
    public let issuer: String?
    /// The other networks of a co-badged card (the shopper may choose one); empty when it is not co-badged.
    public let networks: [Brand]

    public init(
        brand: Brand,
        legacyBrand: Brand? = nil,
        lengths: PANLengths? = nil,
        issuerCountry: String? = nil,
        funding: Funding? = nil,
        product: String? = nil,
        issuer: String? = nil,
        networks: [Brand] = []
    ) {
        self.brand = brand
        self.legacyBrand = legacyBrand
        self.lengths = lengths ?? brand.validLengths
        self.issuerCountry = issuerCountry
        self.funding = funding
        self.product = product
        self.issuer = issuer
        self.networks = networks
    }

    /// The same card data with a legacy name beside the brand.
    func withLegacyBrand(_ legacy: Brand?) -> CardAttributes {
        CardAttributes(
            brand: brand,
            legacyBrand: legacy,
            lengths: lengths,
            issuerCountry: issuerCountry,
            funding: funding,
            product: product,
            issuer: issuer,
            networks: networks
        )
    }

    public static func == (lhs: CardAttributes, rhs: CardAttributes) -> Bool {
        lhs === rhs
            || lhs.brand == rhs.brand && lhs.legacyBrand == rhs.legacyBrand && lhs.lengths == rhs.lengths
                && lhs.issuerCountry == rhs.issuerCountry && lhs.funding == rhs.funding && lhs.product == rhs.product
                && lhs.issuer == rhs.issuer && lhs.networks == rhs.networks
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(brand)
        hasher.combine(legacyBrand)
        hasher.combine(lengths)
        hasher.combine(issuerCountry)
        hasher.combine(funding)
        hasher.combine(product)
        hasher.combine(issuer)
        hasher.combine(networks)
    }

    public var description: String {
        var parts = [brand.name]
        if let legacyBrand { parts.append("legacy \(legacyBrand.name)") }
        if let issuerCountry { parts.append(issuerCountry) }
        if let funding { parts.append(funding.name) }
        if let product { parts.append(product) }
        if let issuer { parts.append(issuer) }
        if !networks.isEmpty { parts.append("networks " + networks.map(\.name).joined(separator: ";")) }
        return parts.joined(separator: ", ")
    }
}

/// How a card is funded, as range files state it.
public enum Funding: UInt8, Sendable, Hashable, CaseIterable {
    case credit = 1
    case debit
    case prepaid
    case charge
    case deferredDebit

    /// The machine name in files, JSON and on the wire's documentation.
    public var name: String {
        switch self {
        case .credit: "credit"
        case .debit: "debit"
        case .prepaid: "prepaid"
        case .charge: "charge"
        case .deferredDebit: "deferred_debit"
        }
    }

    public init?(name: some StringProtocol) {
        guard let funding = Funding.allCases.first(where: { $0.name == name }) else { return nil }
        self = funding
    }
}
