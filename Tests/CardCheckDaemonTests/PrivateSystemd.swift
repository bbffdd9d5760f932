import CardCheckTestSupport
import Foundation

/// A real systemd (252 on Debian 12), PID 1 of namespaces of its own, with cardcheck put in place by the
/// project's `make install`. Booted by `Tests/Systemd/private-systemd`, driven with
/// `nsenter … systemctl`. The host's files are not touched: that systemd runs on an overlay of /.
final class PrivateSystemd {
    static let script = RepositoryFile.url("Tests/Systemd/private-systemd")

    /// Why this machine cannot run a private systemd, or nil when it can. Tests skip with this reason.
    static let unsupportedReason: String? = {
        guard getuid() == 0 else { return "needs root to create namespaces and mount overlays" }
        for tool in ["/lib/systemd/systemd", "/usr/bin/unshare", "/usr/bin/nsenter", "/usr/bin/make"]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            return "needs \(tool)"
        }
        let probe = SystemTool.run(
            "/usr/bin/unshare",
            ["--fork", "--pid", "--mount", "--cgroup", "--net", "--uts", "--ipc", "true"]
        )
        guard probe.status == 0 else { return "this machine does not let root create namespaces: \(probe.output)" }
        return nil
    }()

    let work: URL
    let pid: Int32
    private let launcher: Process

    /// Where a Debian package given to the initializer is, inside the namespaces.
    static let packagePath = "/var/cache/cardcheck-test/cardcheck.deb"

    /// Stages `make install` into a work folder (or, given `package`, only that Debian package, at
    /// ``packagePath``, for the test to install), boots systemd on it and waits until it runs. The whole
    /// namespace is killed after `lifetime` seconds at the latest.
    init(lifetime: Int = 300, package: URL? = nil) throws {
        work = URL(fileURLWithPath: "/tmp").appendingPathComponent("cardcheck-systemd-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        if let package {
            let cache = work.appendingPathComponent("stage").appendingPathComponent(
                String(Self.packagePath.dropFirst())
            ).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: package, to: cache.appendingPathComponent("cardcheck.deb"))
        } else {
            let binaries = BuiltBinary.url("cardcheckd").deletingLastPathComponent().path
            let install = SystemTool.run(
                "/usr/bin/make",
                [
                    "-s", "-C", RepositoryFile.root.path, "install",
                    "DESTDIR=\(work.path)/stage", "PREFIX=/usr/local",
                    "BIN=\(binaries)", "-o", "build",
                ]
            )
            guard install.status == 0 else { throw Failure("make install failed: \(install.output)") }
        }

        launcher = Process()
        launcher.executableURL = Self.script
        launcher.arguments = [work.path, String(lifetime)]
        let log = work.appendingPathComponent("launcher.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        launcher.standardOutput = try FileHandle(forWritingTo: log)
        launcher.standardError = launcher.standardOutput
        try launcher.run()

        let pidFile = work.appendingPathComponent("pid")
        var found: Int32?
        let launcher = self.launcher
        eventually(within: 30, every: 0.05) {
            found = (try? String(contentsOf: pidFile, encoding: .utf8)).flatMap {
                Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            return found != nil || !launcher.isRunning
        }
        guard let found else {
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw Failure("private systemd did not start: \(output)")
        }
        pid = found
        let booted = waitUntil(seconds: 30) {
            let state = systemctl("is-system-running").output.trimmingCharacters(in: .whitespacesAndNewlines)
            return state == "running" || state == "degraded"
        }
        guard booted else { throw Failure("private systemd did not finish booting: \(console)") }
    }

    /// Runs a command inside the private systemd's namespaces (mount, pid, root).
    func inside(_ arguments: [String], timeout: Int = 60) -> (status: Int32, output: String) {
        SystemTool.run(
            "/usr/bin/timeout",
            [String(timeout), "/usr/bin/nsenter", "-t", String(pid), "-m", "-p", "-r", "-w"] + arguments
        )
    }

    @discardableResult
    func systemctl(_ arguments: String...) -> (status: Int32, output: String) {
        inside(["systemctl", "--no-pager"] + arguments)
    }

    /// One property of a unit, as `systemctl show -p NAME --value` prints it.
    func property(_ unit: String, _ name: String) -> String {
        systemctl("show", unit, "-p", name, "--value").output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func journal(_ unit: String) -> String {
        inside(["journalctl", "--no-pager", "-o", "cat", "-u", unit]).output
    }

    /// The manager's own output (its console).
    var console: String {
        (try? String(contentsOf: work.appendingPathComponent("console"), encoding: .utf8)) ?? ""
    }

    /// Polls `condition` every 100 ms until it holds or `seconds` pass.
    func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        eventually(within: seconds, every: 0.1, condition)
    }

    /// Asks systemd to exit, then makes sure the namespace is gone and removes the work folder.
    func shutdown() {
        _ = systemctl("exit")
        eventually(within: 15, every: 0.1) { !launcher.isRunning }
        if launcher.isRunning { kill(pid, SIGKILL) }
        launcher.waitUntilExit()
        try? FileManager.default.removeItem(at: work)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
