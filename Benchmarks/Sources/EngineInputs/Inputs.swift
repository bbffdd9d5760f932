// The engine benchmark's requests, shared by the benchmark (EngineBenchmarks) and the instruction counter
// (EngineInstructions, scripts/count-engine), so that both measure the same work.
import CardCheck
import Foundation

/// Inputs are made once, before measuring: 1,024 distinct Luhn-valid 16-digit PANs over the common brands,
/// and full requests around them, so that branch predictors do not learn a single card.
public enum Inputs {
    public static let count = 1_024
    public static let prefixes = ["4", "51", "2221", "34", "6011", "3528", "62", "2200", "5066", "6759", "9792", "36"]

    /// Made with a seeded generator, so that every run (and the instruction counts of
    /// scripts/count-engine) sees the same cards.
    public static let pans: [String] = {
        var generator = SplitMix64(seed: 0x2026_1203)
        return (0..<count).map { index in
            var payload = prefixes[index % prefixes.count]
            while payload.count < 15 { payload += String(Int.random(in: 0...9, using: &generator)) }
            return payload + String(Luhn.checkDigit(for: payload))
        }
    }()

    public static let requests: [ValidationRequest] = pans.enumerated().map { index, pan in
        ValidationRequest(
            pan: pan,
            expiry: index % 2 == 0 ? "12/29" : "0731",
            csc: index % 7 == 0 ? "X" : "123",
            address: Address(street: "\(100 + index % 50) Main St", postalCode: "12345-6789"),
            onFileAddress: Address(street: "\(100 + index % 40) Main Street", postalCode: "12345")
        )
    }

    /// The requests' bytes laid out in one buffer, as a decoder finds them in a received frame, and the
    /// borrowed fields that point into it: what the daemon hands the engine.
    /// Never freed: it lives as long as the benchmark process.
    nonisolated(unsafe) public static let frame: (buffer: UnsafeMutableRawBufferPointer, fields: [RequestFields]) = {
        let size = requests.reduce(0) { total, request in
            total
                + [
                    request.pan, request.expiry, request.csc, request.address.street, request.address.postalCode,
                    request.onFileAddress?.street, request.onFileAddress?.postalCode,
                ]
                .reduce(0) { $0 + ($1?.utf8.count ?? 0) }
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        var offset = 0
        func place(_ text: String?) -> UTF8Field {
            guard let text else { return nil }
            let start = buffer.baseAddress!.advanced(by: offset).assumingMemoryBound(to: UInt8.self)
            for byte in text.utf8 {
                buffer[offset] = byte
                offset += 1
            }
            return UnsafeBufferPointer(start: start, count: text.utf8.count)
        }
        let fields = requests.map { request in
            RequestFields(
                pan: place(request.pan),
                expiry: place(request.expiry),
                csc: place(request.csc),
                address: AddressFields(
                    street: place(request.address.street),
                    postalCode: place(request.address.postalCode)
                ),
                onFileAddress: AddressFields(
                    street: place(request.onFileAddress?.street),
                    postalCode: place(request.onFileAddress?.postalCode)
                )
            )
        }
        return (buffer, fields)
    }()
}

/// Folds every field of a result into a number, so that the optimizer must compute all of them (as the
/// daemon does when it encodes a response) while the benchmark pays for one `blackHole` per batch, not per
/// validation.
extension PANCheck {
    @inlinable @inline(__always) public var digest: Int {
        Int(masked.leading) &+ Int(masked.last4) &+ Int(card?.packedIssuerCountry ?? 1)
            &+ (luhnValid ? 1 : 0) &+ (lengthValid ? 2 : 0)
    }
}

extension ValidationResult {
    @inlinable @inline(__always) public var digest: Int {
        (pan?.digest ?? 0) &+ Int(expiry?.rawValue ?? 9) &+ Int(csc?.result?.rawValue ?? 9)
            &+ Int(csc?.presence.rawValue ?? 9) &+ (csc?.formatValid == true ? 1 : 0) &+ Int(avs?.code.rawValue ?? 99)
            &+ (avs?.streetMatch == true ? 1 : 0) &+ (avs?.postalMatch == true ? 1 : 0) &+ Int(action.rawValue)
            &+ Int(truncatingIfNeeded: reasons.bits) &+ Int(threeDS?.result.rawValue ?? 0)
    }
}

extension Inputs {
    /// The requests of `frame` carrying a 3-D Secure outcome (Y, ECI 05, a 28-character base64 CAVV): what
    /// the 3-D Secure check adds to a full validation (issue 16's limit: 10%). Each request has its own
    /// value, as each transaction does (20 seeded random bytes but the first, 0, Visa's results code for
    /// Y), so that neither the branch predictors nor the caches see a single value.
    nonisolated(unsafe) public static let fieldsWithThreeDS: [RequestFields] = {
        var generator = SplitMix64(seed: 0x3D5)
        let texts = frame.fields.map { _ in
            "Y05" + Data([0] + (1..<20).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString()
        }
        let bytes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: texts.reduce(0) { $0 + $1.utf8.count })
        var offset = 0
        return zip(frame.fields, texts).map { request, text in
            let start = offset
            for byte in text.utf8 {
                bytes[offset] = byte
                offset += 1
            }
            var request = request
            request.threeDS = ThreeDSFields(
                status: UnsafeBufferPointer(rebasing: bytes[start..<start + 1]),
                eci: UnsafeBufferPointer(rebasing: bytes[start + 1..<start + 3]),
                authenticationValue: UnsafeBufferPointer(rebasing: bytes[start + 3..<offset])
            )
            return request
        }
    }()
}

/// SplitMix64 (Steele, Lea and Flood, 2014): a small seeded generator, for inputs that are the same in
/// every run. The tests' `SeededGenerator` is the same algorithm, but it lives in a test-support target that
/// the main package does not export, and a package cannot reach outside its own folder for sources.
public struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
