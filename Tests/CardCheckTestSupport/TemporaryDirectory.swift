import Foundation

/// A fresh directory under /tmp, removed when this value goes away. Paths stay short: a Unix socket's
/// path holds at most 107 bytes, which a deep temporary directory can exceed.
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL
    public var path: String { url.path }

    /// `prefix` names the test in the directory's name (`ccd-1a2b3c4d`); `mode` lets other users in
    /// where a test runs a process as another user.
    public init(_ prefix: String = "cc", mode: mode_t = 0o755) throws {
        url = URL(fileURLWithPath: "/tmp").appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        chmod(url.path, mode)
    }

    /// Keeps the directory after this value goes away (its ownership passes to something else).
    public var keep = false

    public func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit {
        if !keep { try? FileManager.default.removeItem(at: url) }
    }
}

/// Polls `condition` every `interval` seconds until it holds or `timeout` seconds pass; returns whether
/// it held. The one way these tests wait for something another process does.
@discardableResult
public func eventually(
    within timeout: TimeInterval,
    every interval: TimeInterval = 0.02,
    _ condition: () throws -> Bool
) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return true }
        guard Date() < deadline else { return false }
        usleep(UInt32(interval * 1_000_000))
    }
}
