import CardCheckTestSupport
import Foundation
import Testing

@Suite("cardcheck csc generate / verify")
struct CSCCommandTests {
    @Test("generate gives every vector's code; verify answers M (exit 0) and N (exit 1); the key is never printed")
    func vectors() throws {
        for vector in CSCVectors.shared.vectors {
            let common = [
                "--local", "--cvk", vector.key, "--any-parity", "--ignore-luhn", "--pan", vector.pan,
                "--expiry", vector.expiry, "--service-code", vector.service_code, "--json",
            ]
            let generated = try BuiltBinary.run("cardcheck", ["csc", "generate"] + common)
            #expect(
                generated.status == 0 && generated.stdout.contains(#""code":"\#(vector.code)""#),
                "\(vector.name): \(generated.stdout)\(generated.stderr)"
            )
            #expect(!generated.stdout.contains(vector.key))
            let match = try BuiltBinary.run("cardcheck", ["csc", "verify"] + common + ["--csc", vector.code])
            #expect(match.status == 0 && match.stdout.contains(#""result":"M""#))
            let wrong = String(format: "%03d", (Int(vector.code)! + 500) % 1000)
            let noMatch = try BuiltBinary.run("cardcheck", ["csc", "verify"] + common + ["--csc", wrong])
            #expect(noMatch.status == 1 && noMatch.stdout.contains(#""result":"N""#))
        }
    }

    @Test("a PAN that fails Mod-10 is refused unless --ignore-luhn says it is a published test vector")
    func luhnFirst() throws {
        let card = [
            "--local", "--cvk", "0123456789ABCDEFFEDCBA9876543210", "--any-parity", "--pan", "4123456789012345",
            "--expiry", "8701", "--service-code", "101",
        ]
        let refused = try BuiltBinary.run("cardcheck", ["csc", "generate"] + card)
        #expect(refused.status != 0 && refused.stderr.contains("Mod-10") && refused.stdout.isEmpty, "\(refused.stderr)")
        let made = try BuiltBinary.run("cardcheck", ["csc", "generate", "--ignore-luhn"] + card)
        #expect(made.status == 0 && made.stdout.contains(#""code":"561""#), "\(made.stdout)\(made.stderr)")
    }

    @Test("a key file picks the key by the PAN's range; a card no key covers is an error")
    func keyFile() throws {
        let path = "/tmp/cck-\(UUID().uuidString.prefix(8)).keys"
        try "4114 0123456789ABCDEFFEDCBA9876543210 name=visa-test\n".write(
            toFile: path,
            atomically: true,
            encoding: .utf8
        )
        defer { unlink(path) }
        let found = try BuiltBinary.run(
            "cardcheck",
            [
                "csc", "verify", "--local", "--keys", path, "--pan", "4114585553881637",
                "--expiry", "2812", "--csc", "213",
            ]
        )
        #expect(
            found.status == 0 && found.stdout.contains("M") && found.stdout.contains("visa-test"),
            "\(found.stdout)\(found.stderr)"
        )
        let uncovered = try BuiltBinary.run(
            "cardcheck",
            [
                "csc", "generate", "--local", "--keys", path, "--pan", "4111111111111111",
                "--expiry", "2812",
            ]
        )
        #expect(uncovered.status != 0 && uncovered.stderr.contains("no key"), "\(uncovered.stderr)")
    }
}
