import Foundation

/// `cardcheck validate` through the daemon at the daemon's speed: standard input's lines go to cardcheckd
/// as they are, on JSON Lines connections (PROTOCOL.md, "JSON Lines on the same socket"), and the
/// daemon's answer lines come back and go to standard output as they are, in input order. One thread
/// writes, this one reads, so the client parses nothing and never waits for an answer before sending on.
///
/// The input is cut into chunks (32 KiB, or whatever is ready when standard input pauses) that go to the
/// connections in turn. Each connection answers in order, so reading the chunks' answers in the order the
/// chunks were sent, each from its own connection, gives the input's order. Two connections let the
/// daemon answer two chunks at once on two worker queues: one connection is answered one batch at a time.
struct JSONLinesStream {
    let socketPath: String
    /// How long an answer may keep the client waiting while lines are outstanding.
    let timeout: Double
    /// Connections the lines are spread over.
    var connections = 2

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
        var descriptors: [Int32] = []
        defer { for descriptor in descriptors { close(descriptor) } }
        for _ in 0..<max(1, connections) { descriptors.append(try connect()) }
        var wait = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
        for descriptor in descriptors {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        }

        let chunks = ChunkLog()
        let writer = Thread { [descriptors] in
            var pending = [UInt8]()
            var lines = 0
            var target = 0
            pending.reserveCapacity(1 << 16)
            // A chunk counts as sent once written: only then may the reader wait for its answers.
            func flush() -> Bool {
                defer {
                    pending.removeAll(keepingCapacity: true)
                    lines = 0
                }
                guard lines > 0 else { return true }
                guard JSONLinesStream.send(descriptors[target], pending) else { return false }
                chunks.append(connection: target, lines: lines)
                target = (target + 1) % descriptors.count
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
            chunks.finish()
            for descriptor in descriptors { shutdown(descriptor, Int32(SHUT_WR)) }
        }
        writer.start()

        var failures = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        // Bytes read past the chunk being answered, per connection: the start of its next chunk's answers.
        var carried = [[UInt8]](repeating: [], count: descriptors.count)
        var output = [UInt8]()
        var partial = [UInt8]()
        while let (connection, lines) = chunks.next() {
            var answered = 0
            var bytes = carried[connection]
            carried[connection] = []
            var consumed = 0
            while true {
                output.removeAll(keepingCapacity: true)
                var start = consumed
                var index = consumed
                while index < bytes.count, answered < lines {
                    if bytes[index] == UInt8(ascii: "\n") {
                        partial.append(contentsOf: bytes[start...index])
                        if partial.starts(with: JSONLinesStream.errorPrefix) { failures += 1 }
                        output.append(contentsOf: partial)
                        partial.removeAll(keepingCapacity: true)
                        answered += 1
                        start = index + 1
                    }
                    index += 1
                }
                JSONLinesStream.writeOut(output)
                if answered == lines {
                    carried[connection] = Array(bytes[start...])
                    break
                }
                partial.append(contentsOf: bytes[start...])
                let count = buffer.withUnsafeMutableBytes { recv(descriptors[connection], $0.baseAddress, $0.count, 0) }
                if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    throw .timedOut(outstanding: chunks.sentLines - chunks.answeredLines - answered)
                }
                if count <= 0 { throw .closed(outstanding: chunks.sentLines - chunks.answeredLines - answered) }
                bytes = Array(buffer[0..<count])
                consumed = 0
            }
            chunks.answered(lines)
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

/// The chunks the writer has sent, in order (which connection, how many lines), and whether it is done;
/// the reader takes them one by one, waiting while the writer is behind.
final class ChunkLog: @unchecked Sendable {
    private let condition = NSCondition()
    private var chunks: [(connection: Int, lines: Int)] = []
    private var taken = 0
    private var finished = false
    private var sent = 0
    private var done = 0

    func append(connection: Int, lines: Int) {
        condition.withLock {
            chunks.append((connection, lines))
            sent += lines
            condition.signal()
        }
    }

    func finish() {
        condition.withLock {
            finished = true
            condition.signal()
        }
    }

    /// The next chunk whose answers to read; nil once every chunk is taken and the writer is done.
    func next() -> (connection: Int, lines: Int)? {
        condition.withLock {
            while taken == chunks.count && !finished { condition.wait() }
            guard taken < chunks.count else { return nil }
            defer { taken += 1 }
            return chunks[taken]
        }
    }

    func answered(_ lines: Int) { condition.withLock { done += lines } }
    var sentLines: Int { condition.withLock { sent } }
    var answeredLines: Int { condition.withLock { done } }
}
