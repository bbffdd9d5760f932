import CardCheck
import CardCheckClient
import CardCheckTestSupport
import Foundation
import Testing

/// What the daemon does to its own process so that card data cannot leak through it.
@Suite("cardcheckd process hygiene", .serialized)
struct ProcessHygieneTests {
    /// A non-dumpable process writes no core dump, and the kernel hands its /proc files to root, so
    /// another process of the same user cannot read its memory or environment. Run as `nobody` (root's
    /// /proc files are root's anyway), the daemon's /proc/PID/environ must belong to root.
    @Test(
        "the daemon is non-dumpable: no core dump, its /proc files belong to root, not to its user",
        .enabled(if: canSwitchUser, "needs root and /usr/bin/setpriv to run the daemon as nobody")
    )
    func nonDumpable() throws {
        let temporary = try TemporaryDirectory("cch", mode: 0o777)
        let directory = temporary.url
        let socket = directory.appendingPathComponent("cardcheck.sock").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = [
            "--reuid=65534", "--regid=65534", "--clear-groups", BuiltBinary.url("cardcheckd").path, "--socket", socket,
        ]
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        eventually(within: 20, every: 0.01) { FileManager.default.fileExists(atPath: socket) || !process.isRunning }
        #expect(FileManager.default.fileExists(atPath: socket), "cardcheckd as nobody did not start")

        var status = stat()
        #expect(stat("/proc/\(process.processIdentifier)", &status) == 0)
        let processStatus = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        #expect(processStatus.contains("Uid:\t65534"), "the daemon runs as nobody")
        #expect(stat("/proc/\(process.processIdentifier)/environ", &status) == 0)
        #expect(
            status.st_uid == 0,
            "a dumpable process's /proc files belong to its own user (65534); got \(status.st_uid)"
        )
    }

    /// After a load with known security codes, none of them, and no full PAN, is anywhere the daemon
    /// writes or answers: its log, STATS, the metrics, error messages, the files in its directory. The
    /// codes are 4-digit (American Express) tokens that no count, time or id in this run can equal.
    @Test("after 997 requests with known codes, no code and no full PAN is in the log, STATS, metrics, errors or files")
    func noCardDataAnywhere() async throws {
        let daemon = try DaemonProcess(configuration: ["log_level = trace"])
        let codes = ["9137", "9251", "9368", "9479", "9584"]
        let pans = ["378282246310005", "371449635398431", "378734493671000", "4111111111111111", "5555555555554444"]
        let client = CardCheckClient(socketPath: daemon.socketPath)
        var errorMessages: [String] = []
        for index in 0..<997 {
            let pan = pans[index % pans.count]
            let code = pan.hasPrefix("37") ? codes[index % codes.count] : String(codes[index % codes.count].prefix(3))
            let request = ValidationRequest(
                pan: pan,
                expiry: "12/30",
                csc: code,
                cscIndicator: index % 50 == 0 ? 9 : 1,
                address: Address(street: "1 Main St", postalCode: "12345")
            )
            do { _ = try await client.validate(request) } catch { errorMessages.append("\(error)") }
        }
        #expect(errorMessages.count == 20, "indicator 9 with a code is a typed error")
        let stats = try await client.stats()
        let metrics = try await client.metrics()
        await client.close()
        #expect(daemon.stop() == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: daemon.directory.path)
            .filter { $0 != "cardcheckd.conf" }
        var written = ""
        for file in files {
            written +=
                (try? String(contentsOfFile: daemon.directory.appendingPathComponent(file).path, encoding: .utf8)) ?? ""
        }

        let everything = [daemon.log, "\(stats.named)", metrics, errorMessages.joined(separator: "\n"), written].joined(
            separator: "\n"
        )
        let tokens = Set(everything.split { !$0.isNumber }.map(String.init))
        for code in codes { #expect(!tokens.contains(code), "the code \(code) appears") }
        for pan in pans { #expect(!everything.contains(pan), "a full PAN appears") }
        #expect(daemon.log.contains("connection accepted"), "the log was captured")
        #expect(files.isEmpty, "the daemon left files: \(files)")
    }
}
