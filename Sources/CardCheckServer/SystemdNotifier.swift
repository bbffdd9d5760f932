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

/// Socket activation: the listening socket systemd passed (`LISTEN_FDS`, `LISTEN_PID`), if any.
enum SocketActivation {
    /// The first passed descriptor, if it is a listening Unix stream socket. The environment variables
    /// are removed, so that children never mistake them for their own.
    static func passedListeningSocket() throws -> Int32? {
        let count = sd_listen_fds(1)
        guard count > 0 else { return nil }
        let descriptor = SD_LISTEN_FDS_START
        guard sd_is_socket_unix(descriptor, Int32(SOCK_STREAM.rawValue), 1, nil, 0) > 0 else {
            throw ConfigurationError(
                message: "socket activation: descriptor \(descriptor) is not a listening Unix stream socket"
            )
        }
        return descriptor
    }

    /// The path a Unix socket is bound to.
    static func path(of descriptor: Int32) -> String {
        var address = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { return "fd \(descriptor)" }
        return withUnsafeBytes(of: address.sun_path) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }
}
