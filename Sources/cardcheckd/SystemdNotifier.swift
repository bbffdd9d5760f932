import CSystemd
import Foundation

/// Tells systemd about the daemon through `sd_notify` (libsystemd). Without `NOTIFY_SOCKET` in the
/// environment every call is a no-op, so the daemon behaves the same outside systemd.
struct SystemdNotifier: Sendable {
    /// Whether a service manager listens (`NOTIFY_SOCKET` set at start).
    let isActive: Bool

    init() {
        isActive = ProcessInfo.processInfo.environment["NOTIFY_SOCKET"] != nil
    }

    /// Sends newline-separated `KEY=value` lines in one datagram.
    func notify(_ lines: String...) {
        guard isActive else { return }
        _ = sd_notify(0, lines.joined(separator: "\n"))
    }

    func ready(status: String) { notify("READY=1", "MAINPID=\(getpid())", "STATUS=\(status)") }
    func status(_ text: String) { notify("STATUS=\(text)") }
    func reloading(status: String) { notify("RELOADING=1", "STATUS=\(status)") }
    func stopping(status: String) { notify("STOPPING=1", "STATUS=\(status)") }
    func watchdogPing() { notify("WATCHDOG=1") }

    /// Asks for `seconds` more before systemd considers the stop timed out.
    func extendTimeout(seconds: Int) { notify("EXTEND_TIMEOUT_USEC=\(seconds * 1_000_000)") }

    /// The watchdog interval systemd expects pings within, if the watchdog is on for this process
    /// (`WATCHDOG_USEC` set, and `WATCHDOG_PID` unset or ours: `sd_watchdog_enabled`).
    var watchdogInterval: Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .microseconds(Int64(microseconds))
    }
}
