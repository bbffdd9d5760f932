import CardCheckTestSupport
import Foundation

/// A datagram socket the test owns as the daemon's `NOTIFY_SOCKET`: it records every sd_notify message
/// with the time it arrived, as systemd would receive them.
final class NotifySocket: @unchecked Sendable {
    struct Message: Sendable {
        var time: Date
        var lines: [String]
        func has(_ line: String) -> Bool { lines.contains(line) }
        func value(_ key: String) -> String? {
            lines.first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
        }
    }

    let path: String
    private let descriptor: Int32
    private let lock = NSLock()
    private var received: [Message] = []

    init(directory: URL) throws {
        path = directory.appendingPathComponent("notify.sock").path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4_096)
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                if count < 0 && errno == EBADF { return }
                guard count > 0 else { continue }
                let text = String(decoding: buffer[0..<count], as: UTF8.self)
                let message = Message(time: Date(), lines: text.split(separator: "\n").map(String.init))
                lock.withLock { received.append(message) }
            }
        }.start()
    }

    deinit { close(descriptor) }

    var messages: [Message] { lock.withLock { received } }

    /// Waits up to `timeout` seconds for a message with `line`; returns it.
    func waitFor(_ line: String, after start: Date = .distantPast, timeout: TimeInterval = 10) -> Message? {
        var found: Message?
        eventually(within: timeout, every: 0.01) {
            found = messages.first { $0.time >= start && $0.has(line) }
            return found != nil
        }
        return found
    }
}
