import CardCheckTestSupport
import Foundation
import Testing

/// What the daemon does to its own process so that card data cannot leak through it.
@Suite("cardcheckd process hygiene", .serialized)
struct ProcessHygieneTests {
    /// A non-dumpable process writes no core dump, and the kernel hands its /proc files to root, so
    /// another process of the same user cannot read its memory or environment. Run as `nobody` (root's
    /// /proc files are root's anyway), the daemon's /proc/PID/environ must belong to root.
    @Test("the daemon is non-dumpable: no core dump, its /proc files belong to root, not to its user")
    func nonDumpable() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return }
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("cch-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        chmod(directory.path, 0o777)
        let socket = directory.appendingPathComponent("cardcheck.sock").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", BuiltBinary.url("cardcheckd").path, "--socket", socket]
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { kill(process.processIdentifier, SIGTERM); process.waitUntilExit() }
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: socket) && process.isRunning && Date() < deadline { usleep(10_000) }
        #expect(FileManager.default.fileExists(atPath: socket), "cardcheckd as nobody did not start")

        var status = stat()
        #expect(stat("/proc/\(process.processIdentifier)", &status) == 0)
        let processStatus = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        #expect(processStatus.contains("Uid:\t65534"), "the daemon runs as nobody")
        #expect(stat("/proc/\(process.processIdentifier)/environ", &status) == 0)
        #expect(status.st_uid == 0, "a dumpable process's /proc files belong to its own user (65534); got \(status.st_uid)")
    }
}
