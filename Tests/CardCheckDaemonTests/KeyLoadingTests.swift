import CardCheckTestSupport
import Foundation
import Testing

/// Card verification keys in the real daemon: from a protected file or a systemd credential, reloaded on
/// SIGHUP, and never shown.
@Suite("cardcheckd card verification keys", .serialized)
struct KeyLoadingTests {
    static let testKey = "0123456789ABCDEFFEDCBA9876543210"
    /// CVV2 213 for 12/28 under the test key (Tests/CardCheckCryptoTests/cvv-algorithm.json).
    static let card = #"{"pan":"4114585553881637","expiry":"12/28","csc":"%@"}"#

    func cscResult(_ daemon: DaemonProcess, _ code: String) throws -> String {
        let run = try BuiltBinary.run(
            "cardcheck",
            ["validate", "--socket", daemon.socketPath],
            input: String(format: Self.card, code) + "\n"
        )
        return run.stdout
    }

    func keyFile(in directory: URL, _ text: String, mode: mode_t) throws -> String {
        let path = directory.appendingPathComponent("keys").path
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, mode)
        return path
    }

    @Test("a key file readable by others is refused at start, naming the file and not the key")
    func refusesOpenFile() throws {
        let temporary = try TemporaryDirectory("cck")
        let directory = temporary.url
        let path = try keyFile(in: directory, "4114 \(Self.testKey)\n", mode: 0o644)
        let run = try BuiltBinary.run(
            "cardcheckd",
            ["--check-config", "--socket", directory.path + "/s.sock"],
            input: ""
        )
        #expect(run.status == 0, "no keys configured: fine")
        let config = directory.appendingPathComponent("c.conf").path
        try "keys = \(path)\n".write(toFile: config, atomically: true, encoding: .utf8)
        let refused = try BuiltBinary.run("cardcheckd", ["--config", config, "--check-config"])
        #expect(
            refused.status == 78 && refused.stderr.contains("mode 0644") && refused.stderr.contains(path),
            "\(refused.stderr)"
        )
        chmod(path, 0o600)
        let accepted = try BuiltBinary.run("cardcheckd", ["--config", config, "--check-config"])
        #expect(accepted.status == 0 && accepted.stdout.contains("KCV 08D7B4"), "\(accepted.stdout)\(accepted.stderr)")
        #expect(!(accepted.stdout + accepted.stderr).contains(Self.testKey))
        // CAVV and AAV keys too: named by purpose and check value, never shown.
        let aavKey = String(repeating: "0B", count: 20)
        try "4114 \(Self.testKey)\n4 \(Self.testKey) purpose=cavv indicator=01\n54 \(aavKey) purpose=aav key_id=1\n"
            .write(
                toFile: path,
                atomically: false,
                encoding: .utf8
            )
        let purposes = try BuiltBinary.run("cardcheckd", ["--config", config, "--check-config"])
        #expect(
            purposes.status == 0 && purposes.stdout.contains("(CAVV, indicator 1, KCV 08D7B4)")
                && purposes.stdout.contains("(AAV, key id 1, KCV "),
            "\(purposes.stdout)\(purposes.stderr)"
        )
        #expect(!(purposes.stdout + purposes.stderr).contains(Self.testKey) && !purposes.stdout.contains(aavKey))
        try "4114 \(Self.testKey) expiry=DDMM\n".write(toFile: path, atomically: false, encoding: .utf8)
        let bad = try BuiltBinary.run("cardcheckd", ["--config", config, "--check-config"])
        #expect(
            bad.status == 78 && bad.stderr.contains("\(path):1:") && !bad.stderr.contains(Self.testKey),
            "\(bad.stderr)"
        )
    }

    @Test("VALIDATE answers M and N with a key file; SIGHUP loads a changed file; the log shows KCVs only")
    func verifiesAndReloads() throws {
        let temporary = try TemporaryDirectory("cck")
        let directory = temporary.url
        let path = try keyFile(in: directory, "4114 \(Self.testKey) name=current\n", mode: 0o600)
        let daemon = try DaemonProcess(configuration: ["keys = \(path)"])
        #expect(try cscResult(daemon, "213").contains(#""csc_result":"M""#))
        #expect(try cscResult(daemon, "214").contains(#""csc_result":"N""#))
        #expect(try cscResult(daemon, "214").contains(#""action":"decline""#))

        // The range moves away: after SIGHUP the card has no key, so its code is U.
        try "5412 \(Self.testKey) name=moved\n".write(toFile: path, atomically: false, encoding: .utf8)
        kill(daemon.process.processIdentifier, SIGHUP)
        var answered = ""
        try eventually(within: 5, every: 0.1) {
            answered = try cscResult(daemon, "213")
            return answered.contains(#""csc_result":"U""#)
        }
        #expect(answered.contains(#""csc_result":"U""#), "\(answered)")
        #expect(daemon.stop() == 0)
        #expect(daemon.log.contains("08D7B4") && daemon.log.contains("current") && daemon.log.contains("moved"))
        #expect(!daemon.logShows(Self.testKey) && !daemon.logShows("213") && !daemon.logShows("4114585553881637"))
    }

    @Test("systemd's credential cardcheck-keys takes the place of the file")
    func credential() throws {
        let temporary = try TemporaryDirectory("ccc")
        let credentials = temporary.url
        _ = try keyFile(in: credentials, "4114 \(Self.testKey)\n", mode: 0o400)
        try FileManager.default.moveItem(
            atPath: credentials.appendingPathComponent("keys").path,
            toPath: credentials.appendingPathComponent("cardcheck-keys").path
        )
        let daemon = try DaemonProcess(environment: ["CREDENTIALS_DIRECTORY": credentials.path])
        #expect(try cscResult(daemon, "213").contains(#""csc_result":"M""#))
        #expect(daemon.stop() == 0)
        #expect(daemon.log.contains("credential cardcheck-keys"))
    }
}
