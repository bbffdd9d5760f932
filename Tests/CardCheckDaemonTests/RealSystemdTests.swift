import CardCheckTestSupport
import Foundation
import Testing

/// The installed units under a real systemd: each test boots its own private systemd (see
/// `PrivateSystemd`), so one test's restarts and reloads cannot leak into the next.
@Suite(
    "under a real systemd",
    .serialized,
    .enabled(
        if: PrivateSystemd.unsupportedReason == nil,
        Comment(rawValue: "skipped: \(PrivateSystemd.unsupportedReason ?? "")")
    )
)
struct RealSystemdTests {
    static let socket = "/run/cardcheck/cardcheck.sock"
    static let service = "cardcheckd.service"

    /// `cardcheck` as installed, run inside the private systemd's namespaces against the socket unit.
    func client(_ system: PrivateSystemd, _ arguments: [String]) -> (status: Int32, output: String) {
        system.inside(["/usr/local/bin/cardcheck"] + arguments + ["--socket", Self.socket], timeout: 30)
    }

    func expiredCard(_ system: PrivateSystemd) -> String {
        client(system, ["validate", "--pan", "4111111111111111", "--expiry", "01/20", "--json"]).output
    }

    @Test("the installed units start cardcheckd to active (Type=notify) and it answers under every sandbox setting")
    func startsHardened() throws {
        let system = try PrivateSystemd()
        defer { system.shutdown() }
        let start = system.systemctl("start", "cardcheckd.socket", Self.service)
        #expect(start.status == 0, "\(start.output)\n\(system.journal(Self.service))")
        #expect(system.property(Self.service, "ActiveState") == "active")
        #expect(system.property(Self.service, "Type") == "notify")
        // STATUS= reaches systemd.
        #expect(
            system.waitUntil(seconds: 5) { system.property(Self.service, "StatusText").contains("requests/s") },
            "\(system.property(Self.service, "StatusText"))"
        )

        // The process really runs sandboxed: unprivileged, no capabilities, seccomp on, no new privileges.
        let mainPID = system.property(Self.service, "MainPID")
        let status = system.inside(["cat", "/proc/\(mainPID)/status"]).output
        let fields = Dictionary(
            status.split(separator: "\n").compactMap { line -> (String, String)? in
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2 else { return nil }
                return (String(parts[0]), parts[1].trimmingCharacters(in: .whitespaces))
            },
            uniquingKeysWith: { first, _ in first }
        )
        #expect(fields["Uid"].map { !$0.hasPrefix("0\t") } == true, "\(fields["Uid"] ?? "no Uid")")
        #expect(fields["CapEff"] == "0000000000000000")
        #expect(fields["CapBnd"] == "0000000000000000")
        #expect(fields["NoNewPrivs"] == "1")
        #expect(fields["Seccomp"] == "2")
        // PrivateNetwork: a network namespace other than the manager's.
        let daemonNet = system.inside(["readlink", "/proc/\(mainPID)/ns/net"]).output
        let managerNet = system.inside(["readlink", "/proc/1/ns/net"]).output
        #expect(daemonNet.hasPrefix("net:[") && daemonNet != managerNet, "\(daemonNet) vs \(managerNet)")

        // Answers as the engine does in-process: the example cards through the socket unit.
        let examples = try RepositoryFile.text("Protocol/examples/cards.jsonl")
        let local = try BuiltBinary.run("cardcheck", ["validate", "--local"], input: examples)
        let remote = try remoteValidation(system, examples)
        #expect(!local.stdout.isEmpty)
        #expect(remote == local.stdout)
        #expect(!system.journal(Self.service).contains("status=31/SYS"))
    }

    /// Feeds `lines` to the installed `cardcheck validate` inside the namespaces, on standard input (the
    /// work folder is outside the private root).
    func remoteValidation(_ system: PrivateSystemd, _ lines: String) throws -> String {
        let staged = system.work.appendingPathComponent("input.jsonl")
        try lines.write(to: staged, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
        process.arguments = [
            "-t", String(system.pid), "-m", "-p", "-r", "/usr/local/bin/cardcheck", "validate",
            "--socket", Self.socket,
        ]
        process.standardInput = try FileHandle(forReadingFrom: staged)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test("a query through the socket unit starts the service (socket activation)")
    func socketActivation() throws {
        let system = try PrivateSystemd()
        defer { system.shutdown() }
        #expect(system.systemctl("start", "cardcheckd.socket").status == 0)
        #expect(system.property(Self.service, "ActiveState") == "inactive")
        let listing = system.inside(["stat", "-c", "%a %G", Self.socket]).output
        #expect(listing.hasPrefix("660 cardcheck"), "\(listing)")

        let ping = client(system, ["ping"])
        #expect(ping.status == 0 && ping.output.contains("PONG"), "\(ping.output)\n\(system.journal(Self.service))")
        #expect(system.property(Self.service, "ActiveState") == "active")
        #expect(system.journal(Self.service).contains("activated=true"), "\(system.journal(Self.service))")

        // Stopped again with the socket still listening: the next client waits in the socket's queue
        // while systemd starts the service, and gets its answer.
        #expect(system.systemctl("stop", Self.service).status == 0)
        #expect(system.property("cardcheckd.socket", "ActiveState") == "active")
        let answer = try remoteValidation(system, #"{"pan":"5555555555554444"}"# + "\n")
        #expect(answer.contains(#""brand":"mastercard""#) && answer.contains(#""luhn_valid":true"#), "\(answer)")
    }

    @Test("systemctl reload re-reads the policy in the same process; a bad file keeps the old one")
    func reload() throws {
        let system = try PrivateSystemd()
        defer { system.shutdown() }
        #expect(system.systemctl("start", "cardcheckd.socket", Self.service).status == 0)
        let mainPID = system.property(Self.service, "MainPID")
        #expect(expiredCard(system).contains(#""action":"decline""#))

        let configuration = "/etc/cardcheck/cardcheckd.conf"
        let append = { (line: String) in system.inside(["sh", "-c", "echo '\(line)' >> \(configuration)"]) }
        _ = append("policy.expired = review")
        let reload = system.systemctl("reload", Self.service)
        #expect(reload.status == 0, "\(reload.output)")
        #expect(system.property(Self.service, "ActiveState") == "active")
        #expect(system.property(Self.service, "MainPID") == mainPID)
        #expect(expiredCard(system).contains(#""action":"review""#), "\(expiredCard(system))")
        #expect(
            system.waitUntil(seconds: 5) { !system.property(Self.service, "StatusText").contains("last reload: never") }
        )

        _ = append("no_such_key = 1")
        #expect(system.systemctl("reload", Self.service).status == 0)
        #expect(
            system.waitUntil(seconds: 5) {
                system.journal(Self.service).contains("reload failed, keeping the running configuration")
            },
            "\(system.journal(Self.service))"
        )
        #expect(system.property(Self.service, "ActiveState") == "active")
        #expect(system.property(Self.service, "MainPID") == mainPID)
        #expect(expiredCard(system).contains(#""action":"review""#))
    }

    @Test(
        "a wedged worker or event loop stops the watchdog pings and systemd restarts the daemon (NRestarts grows)",
        arguments: NotifyTests.wedges
    )
    func watchdogRestart(wedge: String) throws {
        let system = try PrivateSystemd()
        defer { system.shutdown() }
        // The test-only fault, switched on with a drop-in; the unit's own WatchdogSec stays in force.
        let dropIn = "/etc/systemd/system/cardcheckd.service.d"
        _ = system.inside(["mkdir", "-p", dropIn])
        _ = system.inside(["sh", "-c", "printf '[Service]\\nEnvironment=\(wedge)=1\\n' > \(dropIn)/wedge.conf"])
        #expect(system.systemctl("daemon-reload").status == 0)
        #expect(system.systemctl("start", "cardcheckd.socket", Self.service).status == 0)
        let firstPID = system.property(Self.service, "MainPID")
        #expect(system.property(Self.service, "NRestarts") == "0")
        let watchdogSec = system.property(Self.service, "WatchdogUSec")  // "10s"
        let watchdog = watchdogSec.hasSuffix("s") ? Double(watchdogSec.dropLast()) : nil
        #expect(watchdog != nil, "WatchdogUSec=\(watchdogSec)")
        let started = Date()
        let restarted = system.waitUntil(seconds: 40) { (Int(system.property(Self.service, "NRestarts")) ?? 0) >= 1 }
        let elapsed = Date().timeIntervalSince(started)
        print(
            "watchdog: \(wedge) wedged 1 s after start, restarted by systemd \(String(format: "%.1f", elapsed)) s after start (WatchdogSec=\(watchdogSec))"
        )
        #expect(restarted, "\(system.journal(Self.service))")
        // The manager's own lines in the unit's journal name the cause.
        let journal = system.journal(Self.service)
        #expect(journal.contains("Watchdog timeout"), "\(journal)")
        #expect(journal.contains("Scheduled restart job"), "\(journal)")
        // The last ping comes at most one interval after the wedge, the timeout one interval later, then
        // RestartSec: well under TimeoutAbortSec's SIGKILL would be if the backtracer held the process.
        if let watchdog { #expect(elapsed < 2 * watchdog + 5, "restarted after \(elapsed) s, watchdog \(watchdog) s") }
        #expect(system.waitUntil(seconds: 10) { system.property(Self.service, "ActiveState") == "active" })
        #expect(system.property(Self.service, "MainPID") != firstPID)
        #expect(client(system, ["ping"]).output.contains("PONG"))
    }

    @Test("systemctl stop: SIGTERM, STOPPING=1, a clean exit")
    func stop() throws {
        let system = try PrivateSystemd()
        defer { system.shutdown() }
        #expect(system.systemctl("start", "cardcheckd.socket", Self.service).status == 0)
        #expect(client(system, ["ping"]).status == 0)
        let stop = system.systemctl("stop", Self.service)
        #expect(stop.status == 0, "\(stop.output)")
        #expect(system.property(Self.service, "ActiveState") == "inactive", "\(system.journal(Self.service))")
        #expect(system.property(Self.service, "Result") == "success")
        #expect(system.property(Self.service, "ExecMainStatus") == "0")
    }

    @Test("keys come in as the systemd credential cardcheck-keys (LoadCredential=) and codes verify M/N")
    func credentialKeys() throws {
        let system = try PrivateSystemd()
        defer { system.shutdown() }
        let keys = "4114 0123456789ABCDEFFEDCBA9876543210 name=visa-test"
        _ = system.inside(["sh", "-c", "umask 077; echo '\(keys)' > /etc/cardcheck/keys"])
        _ = system.inside(["mkdir", "-p", "/etc/systemd/system/cardcheckd.service.d"])
        _ = system.inside([
            "sh", "-c",
            "printf '[Service]\\nLoadCredential=cardcheck-keys:/etc/cardcheck/keys\\n' > /etc/systemd/system/cardcheckd.service.d/keys.conf",
        ])
        #expect(system.systemctl("daemon-reload").status == 0)
        let start = system.systemctl("start", "cardcheckd.socket", Self.service)
        #expect(start.status == 0, "\(start.output)\n\(system.journal(Self.service))")
        let card = #"{"pan":"4114585553881637","expiry":"12/28","csc":"213"}"#
        let right = try remoteValidation(system, card + "\n")
        #expect(right.contains(#""csc_result":"M""#), "\(right)\n\(system.journal(Self.service))")
        let wrong = try remoteValidation(system, card.replacingOccurrences(of: "213", with: "214") + "\n")
        #expect(wrong.contains(#""csc_result":"N""#))
        let journal = system.journal(Self.service)
        #expect(journal.contains("credential cardcheck-keys") && journal.contains("08D7B4"), "\(journal)")
        #expect(!journal.contains("0123456789ABCDEF"))
    }

    /// A restart, a reload and a crash, each in the middle of a `cardcheck bench --reconnect` load run
    /// inside the namespaces: the socket unit keeps the listening socket, so connections made while no
    /// process runs wait in its queue for the next one.
    static let disruptions: [(name: String, command: [String])] = [
        ("systemctl restart", ["restart", service]),
        ("systemctl reload", ["reload", service]),
        ("kill -9", ["kill", "--signal=SIGKILL", service]),
    ]

    @Test(
        "restart, reload and kill -9 under load lose nothing: no failed and no wrong answer",
        arguments: disruptions.indices
    )
    func disruptionUnderLoad(_ index: Int) throws {
        let (name, command) = Self.disruptions[index]
        let system = try PrivateSystemd()
        defer { system.shutdown() }
        // The bench repeats its cards, some failing each time: velocity limits would lock them.
        _ = system.inside(["sh", "-c", "echo 'velocity = false' >> /etc/cardcheck/cardcheckd.conf"])
        #expect(system.systemctl("start", "cardcheckd.socket", Self.service).status == 0)
        let pidBefore = system.property(Self.service, "MainPID")

        let bench = Process()
        bench.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
        bench.arguments = [
            "-t", String(system.pid), "-m", "-p", "-r", "/usr/local/bin/cardcheck", "bench", "--socket", Self.socket,
            "--connections", "16", "--pipeline", "8", "--duration", "8", "--warmup", "0", "--threads", "1",
            "--reconnect", "--json",
        ]
        let output = Pipe()
        bench.standardOutput = output
        bench.standardError = FileHandle.nullDevice
        try bench.run()
        Thread.sleep(forTimeInterval: 2)
        let disruption = system.inside(["systemctl", "--no-pager"] + command)
        #expect(disruption.status == 0, "\(disruption.output)")
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        bench.waitUntilExit()

        #expect(bench.terminationStatus == 0, "\(text)\n\(system.journal(Self.service))")
        let figures = try jsonReport(text)
        #expect(figures["ok"] as? Bool == true, "\(text)")
        #expect((figures["problems"] as? [String: Int])?.isEmpty == true, "\(text)")
        let sent = try #require(figures["sent"] as? Int)
        #expect(sent > 0 && figures["answered"] as? Int == sent)
        let reopened = figures["reopened"] as? Int ?? -1
        let pidAfter = system.property(Self.service, "MainPID")
        #expect(system.property(Self.service, "ActiveState") == "active")
        if name == "systemctl reload" {
            // SIGHUP: the same process, no connection broken.
            #expect(pidAfter == pidBefore && reopened == 0, "\(text)")
        } else {
            // Another process, and every connection was opened again on the socket systemd kept.
            #expect(pidAfter != pidBefore, "\(pidBefore) -> \(pidAfter)")
            #expect(reopened >= 16, "\(text)")
        }
        if name == "kill -9" { #expect(system.property(Self.service, "NRestarts") == "1") }
        let latency = try #require(figures["latency_us"] as? [String: Double])
        // The figures for the README's Reliability table.
        print(
            "disruption under load: \(name): \(sent) requests, all answered right; \(reopened) connections "
                + "reopened, \(figures["resent"] ?? 0) requests sent again; longest stall "
                + "\(Int((latency["max"] ?? 0) / 1_000)) ms, p99 \(Int(latency["p99"] ?? 0)) µs"
        )
    }
}
