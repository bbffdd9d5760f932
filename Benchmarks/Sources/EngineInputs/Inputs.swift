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
    nonisolated(unsafe) public static let fields: [RequestFields] = laidOut(requests, threeDS: nil)

    /// Each request's texts placed one after another, its 3-D Secure texts (when given) after its own
    /// fields, as they come in a frame: a request's bytes are together, whatever it carries.
    static func laidOut(_ requests: [ValidationRequest], threeDS: [ThreeDSData]?) -> [RequestFields] {
        func texts(_ index: Int) -> [String?] {
            let request = requests[index]
            let data = threeDS?[index]
            return [
                request.pan, request.expiry, request.csc, request.address.street, request.address.postalCode,
                request.onFileAddress?.street, request.onFileAddress?.postalCode, data?.status, data?.eci,
                data?.authenticationValue,
            ]
        }
        var arena = ByteArena(
            capacity: requests.indices.reduce(0) { total, index in
                total + texts(index).reduce(0) { $0 + ($1?.utf8.count ?? 0) }
            }
        )
        return requests.indices.map { index in
            let request = requests[index]
            var fields = RequestFields(
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
            if let data = threeDS?[index] {
                fields.threeDS = ThreeDSFields(
                    status: arena.place(data.status),
                    eci: arena.place(data.eci),
                    authenticationValue: arena.place(data.authenticationValue)
                )
            }
            return fields
        }
    }
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
    /// The requests of ``fields`` carrying a 3-D Secure outcome: what the 3-D Secure check adds to a full
    /// validation (issue 16's limit: 10%). Each is an authentication as gateways receive one: status Y, the
    /// card's brand's ECI for it (02 for Mastercard and Maestro, 05 for the rest; with 05 for all, a quarter
    /// of the requests were inconsistent, which real traffic is not), and a value of its own, as each
    /// transaction has (20 seeded random bytes but the first, 0, Visa's results code for Y), so that
    /// neither the branch predictors nor the caches see a single value.
    nonisolated(unsafe) public static let fieldsWithThreeDS: [RequestFields] = {
        var generator = SplitMix64(seed: 0x3D5)
        let outcomes = requests.map { request in
            let card = try! Validator().check(PAN(request.pan!)).card
            return ThreeDSData(
                status: "Y",
                eci: card?.isMastercardOrMaestro == true ? "02" : "05",
                authenticationValue: Data([0] + (1..<20).map { _ in UInt8.random(in: 0...255, using: &generator) })
                    .base64EncodedString()
            )
        }
        return laidOut(requests, threeDS: outcomes)
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
