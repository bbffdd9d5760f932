import Foundation

/// `cardcheck validate` through the daemon at the daemon's speed: standard input's lines go to cardcheckd
/// as they are, on a JSON Lines connection (PROTOCOL.md, "JSON Lines on the same socket"), and the
/// daemon's answer lines come back in order and go to standard output as they are. One thread writes,
/// this one reads, so the client parses nothing and never waits for an answer before sending on.
struct JSONLinesStream {
    let socketPath: String
    /// How long an answer may keep the client waiting while lines are outstanding.
    let timeout: Double

    enum Failure: Error, CustomStringConvertible {
        case connect(String, String)
        case timedOut(outstanding: Int)
        case closed(outstanding: Int)

        var description: String {
            switch self {
            case let .connect(path, reason): "cannot connect to \(path): \(reason)"
            case let .timedOut(outstanding):
                "no answer from cardcheckd within the timeout; \(outstanding) lines unanswered"
            case let .closed(outstanding): "cardcheckd closed the connection with \(outstanding) lines unanswered"
            }
        }
    }

    /// Sends `first` (which starts with `{`, choosing JSON Lines) and every following line of standard
    /// input; writes every answer to standard output. Returns how many answers are errors.
    func run(first: String) throws(Failure) -> Int {
        let descriptor = try connect()
        defer { close(descriptor) }
        var wait = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))

        let sent = LineCount()
        let writer = Thread {
            var pending = [UInt8]()
            var lines = 0
            pending.reserveCapacity(1 << 16)
            // Lines count as sent once written: only then may the reader expect their answers.
            func flush() -> Bool {
                defer {
                    pending.removeAll(keepingCapacity: true)
                    lines = 0
                }
                guard JSONLinesStream.send(descriptor, pending) else { return false }
                sent.add(lines)
                return true
            }
            var line: String? = first
            while let text = line {
                pending.append(contentsOf: text.utf8)
                pending.append(UInt8(ascii: "\n"))
                lines += 1
                // Full, or nothing more to read at once (a person typing): send what there is.
                if pending.count >= 1 << 15 || !JSONLinesStream.inputWaiting(), !flush() { break }
                line = readLine(strippingNewline: true)
            }
            _ = flush()
            sent.finish()
            shutdown(descriptor, Int32(SHUT_WR))
        }
        writer.start()

        var answers = 0
        var failures = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var partial = [UInt8]()
        var output = [UInt8]()
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                if sent.value > answers { throw .timedOut(outstanding: sent.value - answers) }
                continue  // standard input is slow, not the daemon
            }
            if count <= 0 {
                if sent.isFinished && sent.value == answers { break }
                throw .closed(outstanding: sent.value - answers)
            }
            output.removeAll(keepingCapacity: true)
            var start = 0
            for index in 0..<count where buffer[index] == UInt8(ascii: "\n") {
                partial.append(contentsOf: buffer[start...index])
                if partial.starts(with: JSONLinesStream.errorPrefix) { failures += 1 }
                output.append(contentsOf: partial)
                partial.removeAll(keepingCapacity: true)
                answers += 1
                start = index + 1
            }
            partial.append(contentsOf: buffer[start..<count])
            JSONLinesStream.writeOut(output)
        }
        return failures
    }

    private func connect() throws(Failure) -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        guard socketPath.utf8.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(descriptor)
            throw .connect(socketPath, "the path is too long for a Unix socket")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: socketPath.utf8)
            raw[socketPath.utf8.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
        guard connected else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw .connect(socketPath, reason)
        }
        return descriptor
    }

    /// How an answer that is an error starts (JSONLINES.md).
    static let errorPrefix = Array(#"{"error""#.utf8)

    /// Sends all of `bytes` on the socket, resuming after partial writes; false if it failed.
    static func send(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    /// Writes all of `bytes` to standard output.
    static func writeOut(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            guard written > 0 else { return }
            offset += written
        }
    }

    /// Whether standard input has bytes ready now (or is at its end).
    static func inputWaiting() -> Bool {
        var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) > 0
    }
}

/// How many lines the writer has sent, and whether it is done; read by the reader thread.
final class LineCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var finished = false

    func add(_ lines: Int) { lock.withLock { count += lines } }
    func finish() { lock.withLock { finished = true } }
    var value: Int { lock.withLock { count } }
    var isFinished: Bool { lock.withLock { finished } }
}
