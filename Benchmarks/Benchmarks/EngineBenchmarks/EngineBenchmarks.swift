import Benchmark
import CardCheck
import CardCheckCrypto
import EngineInputs
import Foundation

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .instructions, .mallocCountTotal],
        scalingFactor: .mega,
        maxDuration: .seconds(3),
        maxIterations: 50
    )
    let validator = Validator()
    let strict = Validator(avsOptions: AVSOptions(strictStreet: true))
    let today = YearMonth(year: 2026, month: 11)!
    let fields = Inputs.fields
    let panBytes = fields.map { $0.pan! }
    let pans = Inputs.pans
    let requests = Inputs.requests

    Benchmark("Luhn + brand, 16-digit PAN (bytes, the daemon's path)") { benchmark in
        var digest = 0
        for index in benchmark.scaledIterations {
            digest &+= validator.check(try PAN(utf8: panBytes[index & 1_023])).digest
        }
        blackHole(digest)
    }

    Benchmark("Luhn + brand, 16-digit PAN (String)") { benchmark in
        var digest = 0
        for index in benchmark.scaledIterations {
            digest &+= validator.check(try PAN(pans[index & 1_023])).digest
        }
        blackHole(digest)
    }

    Benchmark("Full validation: PAN, expiry, CSC format, AVS match, policy (bytes, the daemon's path)") { benchmark in
        var digest = 0
        for index in benchmark.scaledIterations {
            digest &+= try validator.validate(fields[index & 1_023], today: today).digest
        }
        blackHole(digest)
    }

    // The same requests carrying a 3-D Secure outcome (Y, the brand's ECI for it, a 28-character base64
    // CAVV): what the 3-D Secure check adds to a full validation (issue 16's limit: 10%).
    let fieldsWithThreeDS = Inputs.fieldsWithThreeDS
    Benchmark("Full validation with 3-D Secure: Y, ECI, CAVV (bytes)") { benchmark in
        var digest = 0
        for index in benchmark.scaledIterations {
            digest &+= try validator.validate(fieldsWithThreeDS[index & 1_023], today: today).digest
        }
        blackHole(digest)
    }

    // The same requests each naming one of 10,000 merchant profiles (1,024 different names in turn): what
    // choosing a profile adds (issue 16: no more than a hash lookup).
    let profileNames = (0..<10_000).map { "merchant-\($0)" }
    var profiled = validator
    profiled.profiles = try! PolicyProfiles.compile(
        files: profileNames.enumerated().map { index, name in
            ("\(name).conf", "csc_U = \(["accept", "review", "retry", "decline"][index % 4])\navs_Z = decline\n")
        },
        base: PolicyProfile()
    )
    let nameBytes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 1_024 * 16)
    let fieldsWithProfile = fields.enumerated().map { index, request in
        var request = request
        let name = Array(profileNames[index * 9 % 10_000].utf8)
        let start = index * 16
        _ = UnsafeMutableBufferPointer(rebasing: nameBytes[start..<start + name.count]).initialize(from: name)
        request.profile = UnsafeBufferPointer(rebasing: nameBytes[start..<start + name.count])
        return request
    }
    Benchmark("Full validation with a merchant profile, 10,000 loaded (bytes)") { benchmark in
        var digest = 0
        for index in benchmark.scaledIterations {
            digest &+= try profiled.validate(fieldsWithProfile[index & 1_023], today: today).digest
        }
        blackHole(digest)
    }

    // For comparison, the lookup alone in a Swift Dictionary keyed by String, with the keys already made
    // (the daemon would first have to make a String from the request's bytes).
    let dictionary = Dictionary(uniqueKeysWithValues: profileNames.map { ($0, profiled.profiles!.profile(named: $0)!) })
    let lookupKeys = (0..<1_024).map { profileNames[$0 * 9 % 10_000] }
    Benchmark("Profile lookup alone: Dictionary<String, PolicyProfile>, 10,000 names") { benchmark in
        var digest = 0
        for index in benchmark.scaledIterations {
            digest &+= Int(dictionary[lookupKeys[index & 1_023]]!.policy[.cscU].rawValue)
        }
        blackHole(digest)
    }
    let lookupBytes = fieldsWithProfile.map { $0.profile! }
    Benchmark("Profile lookup alone: PolicyProfiles by the request's bytes, 10,000 names") { benchmark in
        var digest = 0
        for index in benchmark.scaledIterations {
            digest &+= Int(profiled.profiles!.profile(named: lookupBytes[index & 1_023])!.policy[.cscU].rawValue)
        }
        blackHole(digest)
    }

    Benchmark("Full validation, strict street words (bytes)") { benchmark in
        var digest = 0
        for index in benchmark.scaledIterations {
            digest &+= try strict.validate(fields[index & 1_023], today: today).digest
        }
        blackHole(digest)
    }

    Benchmark("Full validation (ValidationRequest of Strings)") { benchmark in
        var digest = 0
        for index in benchmark.scaledIterations {
            digest &+= try validator.validate(requests[index & 1_023], today: today).digest
        }
        blackHole(digest)
    }

    // The card lookup with a large range file: PANs drawn from the file's ranges (scattered over its 200,000
    // BINs, so lookups miss the caches as a real mix does), against the built-in table and against the file.
    // scripts/bench-ranges makes the file and the PANs and passes them here.
    let environment = ProcessInfo.processInfo.environment
    if let rangesPath = environment["CARDCHECK_BENCH_RANGES"], let pansPath = environment["CARDCHECK_BENCH_PANS"] {
        let loaded = try! CardDirectory.compile(
            brandsFile: nil,
            rangesFile: (rangesPath, [UInt8](FileManager.default.contents(atPath: rangesPath)!))
        )
        let filePANs = try! String(contentsOfFile: pansPath, encoding: .utf8).split(separator: "\n").map {
            Array($0.utf8)
        }
        let withFile = Validator(cards: loaded)
        // 1,024 PANs cycled stay in the caches, as the other benchmarks' inputs do: the lookup's own cost.
        // All of them (100,000, scattered over the file) miss the caches: what memory latency adds.
        for (inputs, count) in [("1,024", 1_024), ("100,000", filePANs.count)] {
            for (name, engine) in [("built-in table", validator), ("2,000,000-range file", withFile)] {
                Benchmark("Luhn + card data, \(inputs) PANs of the range file, \(name) (bytes)") { benchmark in
                    var digest = 0
                    for index in benchmark.scaledIterations {
                        digest &+= filePANs[index % count].withUnsafeBufferPointer {
                            engine.check(try! PAN(utf8: $0)).digest
                        }
                    }
                    blackHole(digest)
                }
            }
        }
    }

    // CVV2 verification: the test key over every input card (expiry 12/29, service code 000), half the
    // entered codes right and half wrong, compared in constant time.
    let key = try! CardVerificationKey(hex: "0123456789ABCDEFFEDCBA9876543210")
    let cards = pans.map { try! PAN($0) }
    let entered: [[UInt8]] = cards.enumerated().map { index, pan in
        let code = CardVerificationValue.code(key: key, pan: pan, expiryDigits: 2912, serviceCode: 0).description
        return Array((index % 2 == 0 ? code : "000").utf8)
    }
    // Visa CAVV verification (issue 16: at least 1M per second per core): the CVV algorithm under the CAVV key
    // over the PAN as 16 digits, the unpredictable number, results and second factor codes; 1,024 cards,
    // half the outputs right.
    let cavvFields: [VisaCAVV.Fields] = cards.enumerated().map { index, pan in
        let output = VisaCAVV.output(key: key, pan: pan, unpredictableNumber: 7993, resultsCode: 7, secondFactor: 0)
        let shown = index % 2 == 0 ? output : (output + 1) % 1_000
        var hex = "070001"  // results 7, second factor 00, indicator 01
        hex += String(format: "%04d%04d", shown, 7993) + "9602231034727993" + "0000000000"
        return hex.withUTF8 { VisaCAVV.Fields(AuthenticationValue(utf8: $0)!)! }
    }
    Benchmark("Visa CAVV verification (TDES on libcrypto)") { benchmark in
        var matches = 0
        for index in benchmark.scaledIterations {
            let card = index & 1_023
            matches &+= VisaCAVV.verify(cavvFields[card], key: key, pan: cards[card]) ? 1 : 0
        }
        blackHole(matches)
    }
    let aavKey = try! MastercardAAV.Key(hex: "0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B")
    var aavText = "8C7CA7FBB6058B511401110000002F3547BA1EFF"
    let aav = aavText.withUTF8 { AuthenticationValue(utf8: $0)! }
    Benchmark("Mastercard SPA AAV verification (HMAC-SHA1 on libcrypto)") { benchmark in
        var matches = 0
        for index in benchmark.scaledIterations {
            matches &+= MastercardAAV.verify(aav, key: aavKey, pan: cards[index & 1_023]) ? 1 : 0
        }
        blackHole(matches)
    }

    Benchmark("CVV2 verification (DES + TDES on libcrypto, constant-time compare)") { benchmark in
        var matches = 0
        for index in benchmark.scaledIterations {
            let card = index & 1_023
            let verified = entered[card].withUnsafeBufferPointer {
                CardVerificationValue.verify($0, key: key, pan: cards[card], expiryDigits: 2912, serviceCode: 0)
            }
            matches &+= verified ? 1 : 0
        }
        blackHole(matches)
    }
}
