/// One card to check: any subset of PAN, expiry, security code and/or presence indicator, the address the
/// customer entered and the address on file. A field left `nil` is a check not asked for.
public struct ValidationRequest: Sendable, Hashable {
    /// Digits with optional spaces or dashes.
    public var pan: String?
    /// `MMYY`, `MM/YY` or `MM/YYYY`.
    public var expiry: String?
    /// Digits, `X` (the card has no code), `I` (illegible), or empty (not entered).
    public var csc: String?
    /// The presence indicator: 0 not provided, 1 provided, 2 illegible, 9 not on card.
    public var cscIndicator: Int?
    /// The address the customer entered.
    public var address: Address
    /// The address the issuer has on file; `nil` when there is none (AVS answers `U`).
    public var onFileAddress: Address?
    /// The 3-D Secure outcome the gateway received; empty when there was none.
    public var threeDS: ThreeDSData
    /// The merchant's policy profile; `nil` for the daemon's own policy.
    public var profile: String?

    public init(
        pan: String? = nil,
        expiry: String? = nil,
        csc: String? = nil,
        cscIndicator: Int? = nil,
        address: Address = Address(),
        onFileAddress: Address? = nil,
        threeDS: ThreeDSData = ThreeDSData(),
        profile: String? = nil
    ) {
        self.profile = profile
        self.pan = pan
        self.expiry = expiry
        self.csc = csc
        self.cscIndicator = cscIndicator
        self.address = address
        self.onFileAddress = onFileAddress
        self.threeDS = threeDS
    }
}

extension ValidationRequest {
    /// Runs `body` with the request's fields as borrowed UTF-8 bytes.
    @inlinable public func withFields<R>(_ body: (RequestFields) -> R) -> R {
        // Most requests carry no 3-D Secure data: they skip its five borrows.
        if threeDS.isEmpty { return withCardAndAddressFields(body) }
        return withUTF8Fields(threeDS.status, threeDS.eci, threeDS.authenticationValue) { status, eci, value in
            withUTF8Fields(threeDS.version, threeDS.statusReason, nil) { version, statusReason, _ in
                withCardAndAddressFields { fields in
                    var fields = fields
                    fields.threeDS = ThreeDSFields(
                        status: status,
                        eci: eci,
                        authenticationValue: value,
                        version: version,
                        statusReason: statusReason
                    )
                    return body(fields)
                }
            }
        }
    }

    @inlinable func withCardAndAddressFields<R>(_ body: (RequestFields) -> R) -> R {
        let onFile = onFileAddress ?? Address()
        let indicator = cscIndicator
        return withUTF8Fields(pan, expiry, csc, profile) { pan, expiry, csc, profile in
            withUTF8Fields(address.street, address.postalCode, address.country) { street, postalCode, country in
                withUTF8Fields(onFile.street, onFile.postalCode, onFile.country) { onStreet, onPostal, onCountry in
                    body(
                        RequestFields(
                            pan: pan,
                            expiry: expiry,
                            csc: csc,
                            cscIndicator: indicator,
                            address: AddressFields(street: street, postalCode: postalCode, country: country),
                            onFileAddress: AddressFields(street: onStreet, postalCode: onPostal, country: onCountry),
                            profile: profile
                        )
                    )
                }
            }
        }
    }
}

/// Borrows four optional strings' UTF-8 bytes at once.
@inlinable func withUTF8Fields<R>(
    _ first: String?,
    _ second: String?,
    _ third: String?,
    _ fourth: String?,
    _ body: (UTF8Field, UTF8Field, UTF8Field, UTF8Field) -> R
) -> R {
    withUTF8Fields(first, second, third) { first, second, third in
        fourth.withUTF8Field { fourth in body(first, second, third, fourth) }
    }
}

/// Borrows three optional strings' UTF-8 bytes at once; each closure captures only what it needs.
@inlinable func withUTF8Fields<R>(
    _ first: String?,
    _ second: String?,
    _ third: String?,
    _ body: (UTF8Field, UTF8Field, UTF8Field) -> R
) -> R {
    first.withUTF8Field { first in
        second.withUTF8Field { second in
            third.withUTF8Field { third in body(first, second, third) }
        }
    }
}

/// A request as borrowed UTF-8 bytes: what the engine works on. A decoder can point these straight into
/// a received frame (no copies, no Strings) and wipe the security code's bytes once the answer is out.
/// The buffers must stay valid for the duration of the call they are passed to, and no longer is assumed.
@frozen public struct RequestFields {
    public var pan: UTF8Field
    public var expiry: UTF8Field
    public var csc: UTF8Field
    public var cscIndicator: Int?
    public var address: AddressFields
    /// All fields `nil` when there is no address on file.
    public var onFileAddress: AddressFields
    /// All fields `nil` when there is no 3-D Secure data.
    public var threeDS: ThreeDSFields
    /// The policy profile's name; `nil` for the validator's own policy.
    public var profile: UTF8Field

    @inlinable public init(
        pan: UTF8Field = nil,
        expiry: UTF8Field = nil,
        csc: UTF8Field = nil,
        cscIndicator: Int? = nil,
        address: AddressFields = AddressFields(),
        onFileAddress: AddressFields = AddressFields(),
        threeDS: ThreeDSFields = ThreeDSFields(),
        profile: UTF8Field = nil
    ) {
        self.profile = profile
        self.pan = pan
        self.expiry = expiry
        self.csc = csc
        self.cscIndicator = cscIndicator
        self.address = address
        self.onFileAddress = onFileAddress
        self.threeDS = threeDS
    }
}

/// A request never prints its PAN in full, its security code or its authentication value: not through
/// `print`, string interpolation, `debugPrint` or `dump` (which reflection would otherwise show).
extension ValidationRequest: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        var parts: [String] = []
        if let pan { parts.append("pan: " + ((try? PAN(pan))?.masked.description ?? "<\(pan.utf8.count) bytes>")) }
        if let expiry { parts.append("expiry: \(expiry)") }
        if csc != nil { parts.append("csc: <hidden>") }
        if let cscIndicator { parts.append("csc_indicator: \(cscIndicator)") }
        if address != Address() { parts.append("address: \(address)") }
        if let onFileAddress { parts.append("on_file: \(onFileAddress)") }
        if let status = threeDS.status { parts.append("three_ds_status: \(status)") }
        if let eci = threeDS.eci { parts.append("eci: \(eci)") }
        if threeDS.authenticationValue != nil { parts.append("authentication_value: <hidden>") }
        if let profile { parts.append("profile: \(profile)") }
        return "ValidationRequest(" + parts.joined(separator: ", ") + ")"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}
