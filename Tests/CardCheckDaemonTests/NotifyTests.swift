import CardCheck
import CardCheckClient
import CardCheckTestSupport
import Foundation
import Testing

/// sd_notify through libsystemd, observed on a NOTIFY_SOCKET the test owns (no systemd needed).
@Suite("sd_notify: readiness, status, watchdog, reload, stop", .serialized)
struct NotifyTests {
    func directory() throws -> TemporaryDirectory { try TemporaryDirectory("ccn") }

    @Test("READY=1 with MAINPID comes once the socket accepts; STATUS follows; STOPPING=1 on SIGTERM")
    func readyStatusStopping() throws {
        let folder = try directory()
        let notify = try NotifySocket(directory: folder.url)
        let daemon = try DaemonProcess(environment: ["NOTIFY_SOCKET": notify.path])
        let ready = try #require(notify.waitFor("READY=1"))
        #expect(ready.value("MAINPID") == String(daemon.process.processIdentifier))
        #expect(ready.value("STATUS")?.contains("0 connections") == true)
        #expect(RawConnection.canConnect(daemon.socketPath), "READY only once the socket accepts")
        // A periodic STATUS line (without READY) follows within a few seconds.
        var periodic: NotifySocket.Message?
        eventually(within: 5, every: 0.05) {
            periodic = notify.messages.first { !$0.has("READY=1") && $0.value("STATUS") != nil }
            return periodic != nil
        }
        #expect(periodic?.value("STATUS")?.contains("requests/s") == true)
        let stopAt = Date()
        #expect(daemon.stop() == 0)
        let stopping = try #require(notify.waitFor("STOPPING=1", after: stopAt, timeout: 5))
        #expect(notify.messages.contains { $0.time >= stopping.time && $0.value("EXTEND_TIMEOUT_USEC") == "35000000" })
    }

    /// The test-only faults that wedge one thread that answers requests: a worker queue, or the event
    /// loop that answers small batches inline (most requests).
    static let wedges = ["CARDCHECKD_TESTING_WEDGE_WORKER_AFTER", "CARDCHECKD_TESTING_WEDGE_EVENT_LOOP_AFTER"]

    @Test(
        "WATCHDOG=1 every half of WATCHDOG_USEC (within ±30%), and it stops when a worker or the event loop wedges",
        arguments: wedges
    )
    func watchdogCadenceAndWedge(wedge: String) throws {
        let folder = try directory()
        let notify = try NotifySocket(directory: folder.url)
        let daemon = try DaemonProcess(environment: [
            "NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000", wedge: "3",
        ])
        let start = try #require(notify.waitFor("READY=1")).time
        Thread.sleep(forTimeInterval: 2.6)
        let early = notify.messages.filter { $0.has("WATCHDOG=1") && $0.time < start.addingTimeInterval(2.6) }.map(
            \.time
        )
        #expect(early.count >= 4)
        let intervals = zip(early, early.dropFirst()).map { $1.timeIntervalSince($0) }
        #expect(intervals.allSatisfy { (0.35...0.65).contains($0) }, "\(intervals)")
        // The thread wedges at 3 s: at most the ping for the probe answered just before goes out, then none.
        Thread.sleep(forTimeInterval: 3.0)
        let last = try #require(notify.messages.last { $0.has("WATCHDOG=1") }).time
        #expect(last < start.addingTimeInterval(4.2), "pings continued after the wedge")
        #expect(Date().timeIntervalSince(last) > 1.0)
        #expect(daemon.log.contains("withholding watchdog pings"))
        let stuck = wedge.contains("WORKER") ? "worker 0" : "event loop 0"
        #expect(daemon.log.contains("stuck=\(stuck)"), "\(daemon.log)")
        daemon.stop(signal: SIGKILL)  // a wedged thread cannot drain; systemd would kill it too
    }

    @Test(
        "SIGHUP: RELOADING=1 then READY=1; the new policy applies on the same connection; a bad file keeps the old one"
    )
    func reload() async throws {
        let folder = try directory()
        let notify = try NotifySocket(directory: folder.url)
        let daemon = try DaemonProcess(environment: ["NOTIFY_SOCKET": notify.path])
        _ = try #require(notify.waitFor("READY=1"))
        let client = CardCheckClient(socketPath: daemon.socketPath)
        let noOnFile = ValidationRequest(
            pan: "4111111111111111",
            address: Address(street: "1 Main St", postalCode: "12345")
        )
        #expect(try await client.validate(noOnFile).action == .review)  // avs_U: review by default

        let original = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
        try (original + "\npolicy.avs_U = decline\n").write(
            toFile: daemon.configPath,
            atomically: true,
            encoding: .utf8
        )
        var sent = Date()
        kill(daemon.process.processIdentifier, SIGHUP)
        let reloading = try #require(notify.waitFor("RELOADING=1", after: sent))
        let ready = try #require(notify.waitFor("READY=1", after: reloading.time))
        #expect(ready.value("STATUS")?.contains("last reload: ok") == true)
        #expect(try await client.validate(noOnFile).action == .decline, "new policy, same connection")

        try (original + "\npolicy.avs_U = maybe\n").write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        sent = Date()
        kill(daemon.process.processIdentifier, SIGHUP)
        let failed = try #require(notify.waitFor("READY=1", after: sent))
        #expect(failed.value("STATUS")?.contains("last reload: FAILED") == true)
        #expect(try await client.validate(noOnFile).action == .decline, "the running configuration stays")
        #expect(daemon.log.contains("reload failed, keeping the running configuration"))
        await client.close()
        #expect(daemon.stop() == 0)
    }
}

@Suite("Socket activation")
struct SocketActivationTests {
    static let activator = "/usr/bin/systemd-socket-activate"

    @Test(
        "cardcheckd serves the listening socket it is given (LISTEN_FDS) and leaves its file alone",
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: activator),
            "needs systemd-socket-activate (Debian package systemd)"
        )
    )
    func servesPassedSocket() async throws {
        let temporary = try TemporaryDirectory("cca")
        let folder = temporary.url
        let socketPath = folder.appendingPathComponent("activated.sock").path
        let errors = folder.appendingPathComponent("stderr").path
        #expect(FileManager.default.createFile(atPath: errors, contents: nil))
        // The activator binds and listens, then execs cardcheckd in its own process on the first
        // connection, with LISTEN_FDS=1 and the socket as descriptor 3. The --socket given to the daemon
        // must be ignored in favour of the passed one.
        let activator = Process()
        activator.executableURL = URL(fileURLWithPath: Self.activator)
        activator.arguments = [
            "-l", socketPath, BuiltBinary.url("cardcheckd").path, "--socket",
            folder.appendingPathComponent("unused.sock").path,
        ]
        activator.standardError = FileHandle(forWritingAtPath: errors)
        activator.standardOutput = FileHandle.nullDevice  // no child may hold the test runner's pipes
        try activator.run()
        defer { if activator.isRunning { kill(activator.processIdentifier, SIGKILL) } }
        eventually(within: 10) { FileManager.default.fileExists(atPath: socketPath) }

        let client = CardCheckClient(socketPath: socketPath, timeout: .seconds(20))
        let result = try await client.validate(ValidationRequest(pan: "4111111111111111"))
        #expect(result.action == .accept)
        let stats = try await client.stats()
        #expect(stats.validateRequests == 1)
        await client.close()
        // The activator exec'd the daemon in its own process: same pid. Stop it, waiting boundedly.
        kill(activator.processIdentifier, SIGTERM)
        let stopDeadline = Date().addingTimeInterval(15)
        while activator.isRunning && Date() < stopDeadline { usleep(20_000) }
        let stopped = !activator.isRunning
        if !stopped { kill(activator.processIdentifier, SIGKILL) }
        activator.waitUntilExit()
        #expect(stopped && activator.terminationStatus == 0, "the activated daemon stops cleanly on SIGTERM")
        let log = try String(contentsOfFile: errors, encoding: .utf8)
        #expect(log.contains("activated=true") && log.contains("socket=\(socketPath)"), "\(log)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("unused.sock").path))
        #expect(log.contains("stopped"), "the daemon drained and stopped cleanly")
        #expect(FileManager.default.fileExists(atPath: socketPath), "the passed socket's file belongs to its owner")
    }
}
