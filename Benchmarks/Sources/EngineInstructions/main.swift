// What the engine benchmark's full validations cost, measured two ways that the benchmark runner cannot
// give on this VM (scripts/count-engine runs both):
//
//   EngineInstructions count full|threeds N   validates N requests; run under callgrind, which counts
//                                             only `validateRequests`: instructions a validation
//   EngineInstructions time ROUNDS N          times the two sets alternately in one process, ROUNDS
//                                             rounds of N validations each: the minimum and median ns a
//                                             validation of each, and the median and quartiles of each
//                                             round's ratio
//
// The requests are the benchmark's own (EngineInputs): 1,024 full requests over twelve brands, and the
// same with a 3-D Secure outcome (Y, the brand's ECI for it, a base64 CAVV of its own).
import CardCheck
import EngineInputs
import Foundation

/// The measured loop, never inlined so that callgrind can count it alone (`--toggle-collect`).
@inline(never) func validateRequests(_ requests: [RequestFields], count: Int, validator: Validator) throws -> Int {
    var digest = 0
    for index in 0..<count {
        digest &+= try validator.validate(requests[index & 1_023], today: today).digest
    }
    return digest
}

func usage() -> Never {
    print("usage: EngineInstructions count full|threeds N | time ROUNDS N")
    exit(2)
}

let arguments = CommandLine.arguments.dropFirst()
guard arguments.count == 3, let count = Int(arguments.last!), count > 0 else { usage() }
let validator = Validator()
let today = YearMonth(year: 2026, month: 11)!
let sets = (full: Inputs.fields, threeDS: Inputs.fieldsWithThreeDS)
var digest = 0

switch arguments.first! {
case "count":
    let name = arguments[arguments.startIndex + 1]
    guard name == "full" || name == "threeds" else { usage() }
    digest &+= try validateRequests(name == "full" ? sets.full : sets.threeDS, count: count, validator: validator)
case "time":
    guard let rounds = Int(arguments[arguments.startIndex + 1]), rounds > 0 else { usage() }
    var full: [Double] = []
    var threeDS: [Double] = []
    for _ in 0..<rounds {
        for (requests, isFull) in [(sets.full, true), (sets.threeDS, false)] {
            let start = ContinuousClock.now
            digest &+= try validateRequests(requests, count: count, validator: validator)
            let elapsed = (ContinuousClock.now - start).components
            let ns = (Double(elapsed.seconds) * 1e9 + Double(elapsed.attoseconds) / 1e9) / Double(count)
            if isFull { full.append(ns) } else { threeDS.append(ns) }
        }
    }
    // What the 3-D Secure requests come to, so that a change of inputs that made them fail early would show.
    var outcomes: [String: Int] = [:]
    for request in sets.threeDS {
        let result = try validator.validate(request, today: today)
        outcomes["\(result.threeDS?.result.name ?? "none") \(result.action.name)", default: 0] += 1
    }
    print(
        "3-D Secure requests: "
            + outcomes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    )
    // Each round's ratio: the two sets ran back to back, so the machine's drift (this VM's figures move
    // by tens of percent between runs) falls on both. Its median repeats within a few percent from run to run.
    let ratios = zip(full, threeDS).map { $1 / $0 }.sorted()
    full.sort()
    threeDS.sort()
    print(
        String(
            format: "ns a validation, %d rounds of %d: minimum %.1f / %.1f with 3-D Secure; median %.1f / %.1f",
            rounds,
            count,
            full[0],
            threeDS[0],
            full[rounds / 2],
            threeDS[rounds / 2]
        )
    )
    print(
        String(
            format: "3-D Secure's cost, ratio of each round's times: median x%.3f, quartiles x%.3f to x%.3f",
            ratios[rounds / 2],
            ratios[rounds / 4],
            ratios[3 * rounds / 4]
        )
    )
default: usage()
}
// The digest keeps the optimizer from dropping the validations; printed only in the impossible case.
if digest == 42 { print(digest) }
