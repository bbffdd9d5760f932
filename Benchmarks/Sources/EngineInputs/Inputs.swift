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

    /// The requests' bytes laid out one after another, as a decoder finds them in a received frame, and the
    /// borrowed fields that point into them: what the daemon hands the engine.
    nonisolated(unsafe) public static let fields: [RequestFields] = {
        var arena = ByteArena(
            capacity: requests.reduce(0) { total, request in
                total
                    + [
                        request.pan, request.expiry, request.csc, request.address.street, request.address.postalCode,
                        request.onFileAddress?.street, request.onFileAddress?.postalCode,
                    ]
                    .reduce(0) { $0 + ($1?.utf8.count ?? 0) }
            }
        )
        return requests.map { request in
            RequestFields(
                pan: arena.place(request.pan),
                expiry: arena.place(request.expiry),
                csc: arena.place(request.csc),
                address: AddressFields(
                    street: arena.place(request.address.street),
                    postalCode: arena.place(request.address.postalCode)
                ),
                onFileAddress: AddressFields(
                    street: arena.place(request.onFileAddress?.street),
                    postalCode: arena.place(request.onFileAddress?.postalCode)
                )
            )
        }
    }()
}

/// Texts placed one after another in memory that is never freed (it lives as long as the benchmark
/// process), each handed back as the borrowed field that points at it.
struct ByteArena {
    let memory: UnsafeMutableBufferPointer<UInt8>
    var used = 0

    init(capacity: Int) { memory = .allocate(capacity: capacity) }

    mutating func place(_ text: String?) -> UTF8Field {
        guard let text else { return nil }
        let start = used
        for byte in text.utf8 {
            memory[used] = byte
            used += 1
        }
        return UnsafeBufferPointer(rebasing: memory[start..<used])
    }
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
    /// The requests of ``fields`` carrying a 3-D Secure outcome (Y, ECI 05, a 28-character base64 CAVV): what
    /// the 3-D Secure check adds to a full validation (issue 16's limit: 10%). Each request has its own
    /// value, as each transaction does (20 seeded random bytes but the first, 0, Visa's results code for
    /// Y), so that neither the branch predictors nor the caches see a single value.
    nonisolated(unsafe) public static let fieldsWithThreeDS: [RequestFields] = {
        var generator = SplitMix64(seed: 0x3D5)
        let values = fields.map { _ in
            Data([0] + (1..<20).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString()
        }
        var arena = ByteArena(capacity: values.reduce(0) { $0 + 3 + $1.utf8.count })
        return zip(fields, values).map { request, value in
            var request = request
            request.threeDS = ThreeDSFields(
                status: arena.place("Y"),
                eci: arena.place("05"),
                authenticationValue: arena.place(value)
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
