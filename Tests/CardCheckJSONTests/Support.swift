import CardCheckTestSupport
import Foundation

/// The `cardcheck` binary built beside this test bundle.
enum Binary {
    static func run(_ arguments: [String], input: String = "") throws -> BuiltBinary.Run {
        try BuiltBinary.run("cardcheck", arguments, input: input)
    }
}

/// Protocol/vectors/validate-jsonl.json.
struct JSONLinesVectors: Decodable {
    struct Vector: Decodable {
        var name: String
        var request: String
        var response: String
    }
    var vectors: [Vector]

    static let shared: JSONLinesVectors = {
        try! JSONDecoder().decode(
            JSONLinesVectors.self,
            from: RepositoryFile.data("Protocol/vectors/validate-jsonl.json")
        )
    }()
}
