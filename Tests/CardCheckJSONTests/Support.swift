import CardCheck
import CardCheckCrypto
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

    /// wire.json's daemon: the JSON Lines vectors are answered with its brands and ranges files loaded.
    struct VectorDaemon: Decodable {
        struct Daemon: Decodable {
            var brands: String
            var keys: String
            var ranges: String
            var profiles: [String: String]
        }
        var daemon: Daemon
    }

    static let daemon = try! JSONDecoder().decode(
        VectorDaemon.self,
        from: RepositoryFile.data("Protocol/vectors/wire.json")
    ).daemon

    /// The vectors' card data, compiled as the daemon and `--brands`/`--ranges` compile it.
    static let cards: CardDirectory = try! CardDirectory.compile(
        brandsFile: ("brands", Array(daemon.brands.utf8)),
        rangesFile: ("ranges", Array(daemon.ranges.utf8))
    )

    /// The vectors' profiles, as the daemon compiles its `profiles` directory.
    static let profiles: PolicyProfiles = try! PolicyProfiles.compile(
        files: daemon.profiles.map { ("\($0.key).conf", $0.value) },
        base: PolicyProfile()
    )

    /// The vectors' keys (CVV, CAVV, AAV), as the daemon loads them.
    static let keys: KeyTable = try! KeyFile.parse(daemon.keys)

    /// A validator with the vectors' card data, keys and profiles.
    static var validator: Validator {
        var validator = Validator(cards: cards)
        validator.profiles = profiles
        validator.securityCodes = keys
        validator.authenticationValues = keys
        return validator
    }

    /// The vectors' brands and ranges files written to a directory, and the command's options naming them.
    static func cardDataOptions(in directory: URL) throws -> [String] {
        let brands = directory.appendingPathComponent("brands.csv")
        let ranges = directory.appendingPathComponent("ranges.csv")
        try daemon.brands.write(to: brands, atomically: true, encoding: .utf8)
        try daemon.ranges.write(to: ranges, atomically: true, encoding: .utf8)
        let profiles = directory.appendingPathComponent("profiles")
        try FileManager.default.createDirectory(at: profiles, withIntermediateDirectories: true)
        for (name, text) in daemon.profiles {
            try text.write(to: profiles.appendingPathComponent("\(name).conf"), atomically: true, encoding: .utf8)
        }
        let keys = directory.appendingPathComponent("keys")
        try daemon.keys.write(to: keys, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keys.path)
        return ["--brands", brands.path, "--ranges", ranges.path, "--profiles", profiles.path, "--keys", keys.path]
    }

    static let shared: JSONLinesVectors = {
        try! JSONDecoder().decode(
            JSONLinesVectors.self,
            from: RepositoryFile.data("Protocol/vectors/validate-jsonl.json")
        )
    }()
}
