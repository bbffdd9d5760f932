import CardCheck
import CardCheckClient
import CardCheckCrypto
import CardCheckTestSupport
import CardCheckWire
import Foundation
import Testing

/// `CSC_GENERATE` and `CSC_VERIFY` through the real daemon and its socket, and `cardcheck csc` against it.
@Suite("cardcheckd CSC_GENERATE and CSC_VERIFY", .serialized)
struct SecurityCodeOperationTests {
    static let testKey = KeyLoadingTests.testKey
    static let otherKey = "4C37C8319D76ADAB58D9431543C2165B"

    /// A daemon with two keys on the 4114 range (rotation: `new` issues, both verify) and `generate`
    /// settings in its configuration.
    func daemon(_ generate: [String], directory: URL) throws -> DaemonProcess {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let keys = directory.appendingPathComponent("keys").path
        try "4114 \(Self.testKey) name=new\n4114 \(Self.otherKey) parity=any name=old\n"
            .write(toFile: keys, atomically: false, encoding: .utf8)
        chmod(keys, 0o600)
        return try DaemonProcess(configuration: ["keys = \(keys)"] + generate)
    }

    func folder() throws -> TemporaryDirectory { try TemporaryDirectory("ccg") }

    @Test("generate and verify over the socket agree with the published vectors and the engine")
    func generateAndVerify() async throws {
        let temporary = try folder()
        let directory = temporary.url
        let daemon = try daemon(["csc_generate_users = \(getuid())"], directory: directory)
        let client = CardCheckClient(socketPath: daemon.socketPath)

        // Tests/CardCheckCryptoTests/cvv-algorithm.json: 4114585553881637, YYMM 2812, service code 000 → 213 under the test key.
        let printed = try await client.generateSecurityCode(pan: "4114585553881637", expiry: "12/28")
        #expect(printed.code == "213" && printed.key == KeyIdentity(name: "new", checkValue: "08D7B4"))
        // iCVV and a card's own service code differ from the printed code, as the algorithm says.
        let chip = try await client.generateSecurityCode(pan: "4114585553881637", expiry: "12/2028", serviceCode: "999")
        let stripe = try await client.generateSecurityCode(pan: "4114585553881637", expiry: "1228", serviceCode: "101")
        #expect(chip.code != "213" || stripe.code != "213")
        #expect(chip.code.count == 3 && stripe.code.count == 3)

        let match = try await client.verifySecurityCode(pan: "4114585553881637", expiry: "12/28", csc: "213")
        #expect(match == .match(KeyIdentity(name: "new", checkValue: "08D7B4")))
        let chipMatch = try await client.verifySecurityCode(
            pan: "4114585553881637",
            expiry: "12/28",
            csc: chip.code,
            serviceCode: "999"
        )
        #expect(chipMatch.result == .M)
        // The old key's code, computed in this process with the engine's crypto (the daemon is another process).
        let old = try CardVerificationKey(hex: Self.otherKey, requireOddParity: false)
        let pan = try PAN("4114585553881637")
        let oldCode = CardVerificationValue.code(key: old, pan: pan, expiryDigits: 2812, serviceCode: 0).description
        let wrongCode = ["214", "215", "216"].first { $0 != oldCode }!
        let wrong = try await client.verifySecurityCode(pan: "4114585553881637", expiry: "12/28", csc: wrongCode)
        #expect(wrong == .noMatch)
        let uncovered = try await client.verifySecurityCode(pan: "4111111111111111", expiry: "12/28", csc: "123")
        #expect(uncovered == .noKey)
        let amex = try await client.verifySecurityCode(pan: "378282246310005", expiry: "12/28", csc: "123")
        #expect(amex == .noKey)

        // Rotation: a code made under the old key verifies and names it.
        let rotated = try await client.verifySecurityCode(pan: "4114585553881637", expiry: "12/28", csc: oldCode)
        guard case .match(let key) = rotated else {
            Issue.record("\(rotated)")
            return
        }
        #expect(key == KeyIdentity(name: "old", checkValue: old.checkValue))

        // Typed errors, and the connection keeps answering.
        await #expect(throws: CardCheckClientError.self) {
            _ = try await client.generateSecurityCode(pan: "4114585553881638", expiry: "12/28")
        }
        await #expect(throws: CardCheckClientError.self) {
            _ = try await client.generateSecurityCode(pan: "4111111111111111", expiry: "12/28")
        }
        await #expect(throws: CardCheckClientError.self) {
            _ = try await client.verifySecurityCode(pan: "4114585553881637", expiry: "13/28", csc: "213")
        }
        #expect(
            try await client.verifySecurityCode(pan: "4114585553881637", expiry: "12/28", csc: "213").result
                == .M
        )
        await client.close()
        #expect(daemon.stop() == 0)
        #expect(daemon.log.contains("CSC_GENERATE is on"))
        for secret in ["213", chip.code, stripe.code, oldCode, "4114585553881637", Self.testKey] {
            #expect(!daemon.logShows(secret), "the log shows \(secret)")
        }
    }

    @Test("CSC_GENERATE is off unless the peer is listed; SIGHUP turns it on for open connections too")
    func generateNeedsListing() async throws {
        let temporary = try folder()
        let directory = temporary.url
        let daemon = try daemon([], directory: directory)
        let client = CardCheckClient(socketPath: daemon.socketPath)
        do {
            _ = try await client.generateSecurityCode(pan: "4114585553881637", expiry: "12/28")
            Issue.record("generated without being listed")
        } catch let error {
            guard case .server(let wire) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(wire.kind == .notPermitted && wire.code == "generate_not_permitted")
        }
        // Refused the operation, not the connection: verification still answers on it.
        #expect(
            try await client.verifySecurityCode(pan: "4114585553881637", expiry: "12/28", csc: "213").result
                == .M
        )

        let original = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
        try (original + "\ncsc_generate_users = \(getuid())\n").write(
            toFile: daemon.configPath,
            atomically: true,
            encoding: .utf8
        )
        kill(daemon.process.processIdentifier, SIGHUP)
        var generated: CardCheckClient.GeneratedSecurityCode?
        for _ in 0..<50 where generated == nil {
            usleep(100_000)
            generated = try? await client.generateSecurityCode(pan: "4114585553881637", expiry: "12/28")
        }
        #expect(generated?.code == "213")
        await client.close()
        #expect(daemon.stop() == 0)
    }

    @Test("cardcheck csc generate/verify through the daemon print what --local prints")
    func commandLineAgainstDaemon() throws {
        let temporary = try folder()
        let directory = temporary.url
        let daemon = try daemon(["csc_generate_users = \(getuid())"], directory: directory)
        let keys = directory.appendingPathComponent("keys").path
        let card = ["--pan", "4114585553881637", "--expiry", "2812"]
        for serviceCode in ["000", "999", "101"] {
            let remote = try BuiltBinary.run(
                "cardcheck",
                ["csc", "generate", "--socket", daemon.socketPath, "--service-code", serviceCode] + card
            )
            let local = try BuiltBinary.run(
                "cardcheck",
                ["csc", "generate", "--local", "--keys", keys, "--service-code", serviceCode] + card
            )
            #expect(
                remote.status == 0 && remote.stdout == local.stdout && remote.stdout.contains(#""kcv":"08D7B4""#),
                "\(remote.stdout) \(remote.stderr) vs \(local.stdout)"
            )
        }
        let verified = try BuiltBinary.run(
            "cardcheck",
            ["csc", "verify", "--socket", daemon.socketPath, "--csc", "213"] + card
        )
        #expect(
            verified.status == 0 && verified.stdout == #"{"result":"M","key":"new","kcv":"08D7B4"}"# + "\n",
            "\(verified.stdout)"
        )
        let refused = try BuiltBinary.run(
            "cardcheck",
            ["csc", "verify", "--socket", daemon.socketPath, "--csc", "214"] + card
        )
        #expect(refused.status == 1 && refused.stdout.contains(#""result":"N""#))
        let noKey = try BuiltBinary.run(
            "cardcheck",
            [
                "csc", "verify", "--socket", daemon.socketPath, "--csc", "123",
                "--pan", "4111111111111111", "--expiry", "2812",
            ]
        )
        #expect(noKey.status == 1 && noKey.stdout.contains(#""result":"U""#))
        let mixed = try BuiltBinary.run(
            "cardcheck",
            ["csc", "generate", "--socket", daemon.socketPath, "--cvk", Self.testKey] + card
        )
        #expect(mixed.status != 0 && mixed.stderr.contains("--local"))
        #expect(daemon.stop() == 0)
    }
}
