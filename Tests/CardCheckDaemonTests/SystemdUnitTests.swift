import CardCheckTestSupport
import Foundation
import Testing

/// The unit files in systemd/, checked with systemd's own tools (no running systemd needed).
@Suite("systemd units")
struct SystemdUnitTests {
    static let analyze = "/usr/bin/systemd-analyze"
    static let repository = RepositoryFile.root

    /// The units as installed, with ExecStart pointing at the built daemon.
    func stagedUnits() throws -> URL {
        let folder = URL(fileURLWithPath: "/tmp").appendingPathComponent("ccu-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let service = try String(
            contentsOf: Self.repository.appendingPathComponent("systemd/cardcheckd.service"),
            encoding: .utf8
        )
        .replacingOccurrences(of: "/usr/local/bin/cardcheckd", with: BuiltBinary.url("cardcheckd").path)
        try service.write(to: folder.appendingPathComponent("cardcheckd.service"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(
            at: Self.repository.appendingPathComponent("systemd/cardcheckd.socket"),
            to: folder.appendingPathComponent("cardcheckd.socket")
        )
        let metrics = try String(
            contentsOf: Self.repository.appendingPathComponent("systemd/cardcheck-metrics.service"),
            encoding: .utf8
        )
        .replacingOccurrences(of: "/usr/local/bin/cardcheck", with: BuiltBinary.url("cardcheck").path)
        try metrics.write(
            to: folder.appendingPathComponent("cardcheck-metrics.service"),
            atomically: true,
            encoding: .utf8
        )
        try FileManager.default.copyItem(
            at: Self.repository.appendingPathComponent("systemd/cardcheck-metrics.timer"),
            to: folder.appendingPathComponent("cardcheck-metrics.timer")
        )
        return folder
    }

    @Test(
        "systemd-analyze verify passes on every unit",
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: analyze),
            "needs systemd-analyze (Debian package systemd)"
        )
    )
    func verify() throws {
        let folder = try stagedUnits()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = SystemTool.run(
            Self.analyze,
            [
                "verify", "./cardcheckd.socket", "./cardcheckd.service", "./cardcheck-metrics.service",
                "./cardcheck-metrics.timer",
            ],
            in: folder
        )
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.isEmpty, "\(result.output)")
    }

    @Test(
        "systemd-analyze security scores the service 1.0 or better (SAFE)",
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: analyze),
            "needs systemd-analyze (Debian package systemd)"
        )
    )
    func security() throws {
        let folder = try stagedUnits()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = SystemTool.run(Self.analyze, ["security", "--offline=true", "./cardcheckd.service"], in: folder)
        let line = try #require(result.output.split(separator: "\n").last { $0.contains("Overall exposure level") })
        let score = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) })
        #expect(score <= 1.0, "\(line)")
    }

    @Test("the units say what the daemon needs: Type=notify, the watchdog, a short abort, no backtracer")
    func unitContents() throws {
        let service = try String(
            contentsOf: Self.repository.appendingPathComponent("systemd/cardcheckd.service"),
            encoding: .utf8
        )
        for line in [
            "Type=notify", "NotifyAccess=main", "WatchdogSec=", "Restart=on-failure", "TimeoutAbortSec=",
            "Environment=SWIFT_BACKTRACE=enable=no", "RestrictAddressFamilies=AF_UNIX", "PrivateNetwork=yes",
            "CapabilityBoundingSet=\n", "MemoryDenyWriteExecute=yes", "ExecReload=/bin/kill -HUP $MAINPID",
        ] {
            #expect(service.contains(line), "\(line)")
        }
        let socket = try String(
            contentsOf: Self.repository.appendingPathComponent("systemd/cardcheckd.socket"),
            encoding: .utf8
        )
        #expect(socket.contains("SocketMode=0660") && socket.contains("SocketGroup=cardcheck"))
    }

    @Test(
        "make install never builds: with no release binaries it stops and says to run make build",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/make"), "needs make")
    )
    func installDoesNotBuild() throws {
        let stage = try TemporaryDirectory("ccn")
        let result = SystemTool.run(
            "/usr/bin/make",
            ["-s", "install", "DESTDIR=\(stage.path)", "BIN=\(stage.path)/none"],
            in: Self.repository
        )
        #expect(result.status != 0)
        #expect(result.output.contains("run 'make build' first"), "\(result.output)")
        #expect((try FileManager.default.contentsOfDirectory(atPath: stage.path)).isEmpty, "it installed something")
    }

    @Test(
        "make install stages binaries, units, sysusers.d, tmpfiles.d and the configuration under DESTDIR",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/make"), "needs make")
    )
    func install() throws {
        let stage = URL(fileURLWithPath: "/tmp").appendingPathComponent("cci-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: stage) }
        // BIN points make at the binaries this test run built, so the test needs no release build.
        let result = SystemTool.run(
            "/usr/bin/make",
            [
                "-s", "install", "DESTDIR=\(stage.path)", "PREFIX=/usr",
                "BIN=\(BuiltBinary.url("cardcheckd").deletingLastPathComponent().path)",
                "-o", "build",
            ],
            in: Self.repository
        )
        #expect(result.status == 0, "\(result.output)")
        for path in [
            "usr/bin/cardcheckd", "usr/bin/cardcheck", "etc/systemd/system/cardcheckd.service",
            "etc/systemd/system/cardcheckd.socket", "etc/sysusers.d/cardcheck.conf",
            "etc/tmpfiles.d/cardcheck.conf", "etc/cardcheck/cardcheckd.conf",
            "etc/systemd/system/cardcheck-metrics.service", "etc/systemd/system/cardcheck-metrics.timer",
            "usr/share/man/man1/cardcheck.1", "usr/share/man/man5/cardcheckd.conf.5", "usr/share/man/man8/cardcheckd.8",
            "usr/share/bash-completion/completions/cardcheck", "usr/share/zsh/site-functions/_cardcheck",
            "usr/share/fish/vendor_completions.d/cardcheck.fish",
        ] {
            #expect(FileManager.default.fileExists(atPath: stage.appendingPathComponent(path).path), "\(path)")
        }
        let service = try String(
            contentsOf: stage.appendingPathComponent("etc/systemd/system/cardcheckd.service"),
            encoding: .utf8
        )
        #expect(service.contains("ExecStart=/usr/bin/cardcheckd --config /etc/cardcheck/cardcheckd.conf"))
        let config = try String(
            contentsOf: stage.appendingPathComponent("etc/cardcheck/cardcheckd.conf"),
            encoding: .utf8
        )
        #expect(config.contains("\nsocket = /run/cardcheck/cardcheck.sock\n"))
        let checked = try BuiltBinary.run(
            "cardcheckd",
            ["--config", stage.appendingPathComponent("etc/cardcheck/cardcheckd.conf").path, "--check-config"]
        )
        #expect(checked.status == 0 && checked.stdout.contains("socket = /run/cardcheck/cardcheck.sock"))
    }
}
