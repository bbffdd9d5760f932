import CardCheck
import CardCheckClient
import CardCheckTestSupport
import CardCheckWire
import Foundation
import NIOCore
import Testing

/// Clients that are buggy or hostile, against the real daemon: each is dealt with, and a well-behaved
/// client is still answered, within its normal latency, afterwards.
@Suite("cardcheckd against hostile clients", .serialized)
struct HostileClientTests {
    static let fileLimit = Int32(RLIMIT_NOFILE.rawValue)

    /// A well-behaved client's PING round trip must stay well inside what a healthy daemon gives.
    static let normalLatency: Duration = .milliseconds(100)

    func stillServes(_ daemon: DaemonProcess, _ what: String) async throws {
        let client = CardCheckClient(socketPath: daemon.socketPath, timeout: .seconds(5))
        let answer = try await client.validate(ValidationRequest(pan: "4111111111111111"))
        #expect(answer.pan?.luhnValid == true, "after \(what)")
        var best = Duration.seconds(10)
        for _ in 0..<5 { best = min(best, try await client.ping()) }
        #expect(best < Self.normalLatency, "PING took \(best) after \(what)")
        await client.close()
    }

    func residentKilobytes(_ daemon: DaemonProcess) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(daemon.process.processIdentifier)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        return try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? ""))
    }

    @Test("a 4 GiB length, 1 MB of random bytes, garbage after a valid frame: typed errors, no big allocation")
    func garbage() async throws {
        let daemon = try DaemonProcess()
        let before = try residentKilobytes(daemon)

        let huge = try RawConnection(daemon.socketPath)
        huge.send([0xFF, 0xFF, 0xFF, 0xFF] + [UInt8](repeating: 0x41, count: 64))
        #expect(errorKind(try frames(in: huge.receive(atLeast: 20)).first) == .frameTooLarge)
        #expect(huge.isClosedByPeer())

        var random = SystemRandomNumberGenerator()
        let noise = (0..<1_000_000).map { _ in UInt8.random(in: 0...255, using: &random) }
        let noisy = try RawConnection(daemon.socketPath)
        noisy.send(noise)
        let reply = try frames(in: noisy.receive(atLeast: 20))
        #expect(reply.count <= 1 && (reply.isEmpty || reply.first?.opcode == WireFormat.errorOpcode))
        #expect(noisy.isClosedByPeer())

        // A valid frame is answered before the garbage that follows it closes the connection.
        let mixed = try RawConnection(daemon.socketPath)
        mixed.send(
            requestBytes(Opcode.ping.rawValue, id: 7) + [0x00, 0x00, 0x00, 0x10] + Array("not a frame at all".utf8)
        )
        let answers = try frames(in: mixed.receive(atLeast: 40))
        #expect(answers.first?.requestID == 7 && answers.first?.opcode == Opcode.ping.responseOpcode)
        #expect(errorKind(answers.dropFirst().first) == .malformed)
        #expect(mixed.isClosedByPeer())

        // Invalid UTF-8 in address fields: compared as bytes, answered, never a crash.
        let bytes = try RawConnection(daemon.socketPath)
        bytes.send(
            requestBytes(Opcode.validate.rawValue, id: 8) {
                $0.writeField(0x10, bytes: [0x31, 0x32, 0xC3, 0x28, 0xFF, 0xFE, 0x20, 0x4D])  // street
                $0.writeField(0x11, bytes: [0x31, 0x32, 0x33, 0x34, 0x35])
                $0.writeField(0x20, bytes: [0x31, 0x32, 0xED, 0xA0, 0x80])  // a lone surrogate
                $0.writeField(0x21, bytes: [0x31, 0x32, 0x33, 0x34, 0x35])
            }
        )
        let answered = try #require(try frames(in: bytes.receive(atLeast: 20)).first)
        #expect(answered.requestID == 8)

        try await stillServes(daemon, "garbage")
        #expect(try residentKilobytes(daemon) - before < 20_000, "RSS grew by more than 20 MB")
        #expect(daemon.stop() == 0)
    }

    @Test("slowloris: a frame dribbled a byte at a time is closed after idle_timeout, though bytes keep coming")
    func slowloris() async throws {
        let daemon = try DaemonProcess(configuration: ["idle_timeout = 1"])
        let slow = try RawConnection(daemon.socketPath)
        let frame = requestBytes(Opcode.ping.rawValue, id: 9) {
            $0.writeField(0x01, bytes: [UInt8](repeating: 0x61, count: 200))
        }
        let started = Date()
        var closedAfter: TimeInterval?
        for byte in frame.dropLast() {  // never the whole frame
            let sent = [byte].withUnsafeBytes { Glibc.send(slow.descriptor, $0.baseAddress, 1, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                closedAfter = Date().timeIntervalSince(started)
                break
            }
            usleep(100_000)
            if Date().timeIntervalSince(started) > 6 { break }
        }
        let elapsed = try #require(closedAfter, "a frame dribbled for 6 s was still open")
        #expect(elapsed >= 1 && elapsed < 4, "closed after \(elapsed) s with idle_timeout = 1")
        #expect(daemon.logContains("a frame was not completed within idle_timeout"))
        try await stillServes(daemon, "slowloris")
        #expect(daemon.stop() == 0)
    }

    @Test("5,000 idle connections do not stop the service for others")
    func manyIdleConnections() async throws {
        // Both ends need 5,000 descriptors: raise this process's soft limit (the daemon inherits it).
        var limit = rlimit()
        getrlimit(Self.fileLimit, &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Self.fileLimit, &limit)
        try #require(limit.rlim_cur >= 6_000, "the file limit (\(limit.rlim_max)) is below 6,000 descriptors")
        let daemon = try DaemonProcess(configuration: ["max_connections = 6000"])
        var idle: [RawConnection] = []
        for _ in 0..<5_000 { idle.append(try RawConnection(daemon.socketPath)) }
        try await stillServes(daemon, "5,000 idle connections")
        let stats = try BuiltBinary.run("cardcheck", ["stats", "--socket", daemon.socketPath, "--json"])
        let figures = try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any]
        let open = try #require(figures?["open_connections"] as? Int, "\(stats.stdout)")
        #expect(open >= 5_000, "\(stats.stdout)")
        idle.removeAll()
        #expect(daemon.stop() == 0)
    }

    @Test(
        "a peer pipelines 2 GB and reads nothing until it stalls: RSS within +64 MB, others served, then every answer arrives in order"
    )
    func floodWithoutReading() async throws {
        let daemon = try DaemonProcess()
        let idle = try residentKilobytes(daemon)
        let flood = try RawConnection(daemon.socketPath)
        let stream = FloodStream()
        let total = 2 << 30  // 2 GiB

        // 1. Send without reading until the daemon stops taking bytes (nothing accepted for 1.5 s), or all
        //    of it: a daemon that reads without bound takes it all and grows by gigabytes.
        var sent = 0
        var peak = idle
        var lastProgress = Date()
        var lastSample = Date()
        while sent < total, Date().timeIntervalSince(lastProgress) < 1.5 {
            let written = stream.send(on: flood.descriptor, from: sent, upTo: total, blocking: false)
            if written > 0 {
                sent += written
                lastProgress = Date()
            } else {
                usleep(10_000)
            }
            if Date().timeIntervalSince(lastSample) > 0.05 {
                peak = max(peak, try residentKilobytes(daemon))
                lastSample = Date()
            }
        }
        peak = max(peak, try residentKilobytes(daemon))
        #expect(sent < 64 << 20, "the daemon took \(sent >> 20) MiB from a peer that reads nothing")
        #expect(peak - idle < 64 * 1024, "RSS grew by \((peak - idle) / 1024) MB while the peer read nothing")
        try await stillServes(daemon, "a peer that pipelines and never reads")

        // 2. The peer starts reading: the rest of the 2 GiB goes through, every answer in order and well
        //    framed, and the daemon's memory stays within the same bound all along.
        let reader = FloodReader(descriptor: flood.descriptor, stream: stream)
        let readerThread = Thread { reader.run() }
        readerThread.start()
        let deadline = Date().addingTimeInterval(600)
        while sent < total, Date() < deadline, !reader.failed {
            let written = stream.send(on: flood.descriptor, from: sent, upTo: total, blocking: true)
            guard written > 0 else { break }
            sent += written
            if Date().timeIntervalSince(lastSample) > 0.05 {
                peak = max(peak, try residentKilobytes(daemon))
                lastSample = Date()
            }
        }
        #expect(sent == total, "sent \(sent) of \(total) bytes")
        let frames = stream.frames(in: sent)
        eventually(within: max(0, deadline.timeIntervalSinceNow), every: 0.01) {
            reader.answers >= frames || reader.failed
        }
        peak = max(peak, try residentKilobytes(daemon))
        #expect(!reader.failed, "\(reader.problem)")
        #expect(reader.answers == frames, "\(reader.answers) answers to \(frames) requests")
        #expect(peak - idle < 64 * 1024, "RSS grew by \((peak - idle) / 1024) MB")
        print(
            "flood: \(sent >> 20) MiB in \(frames) requests; \(reader.answers) answers; RSS idle \(idle / 1024) MB, peak +\((peak - idle) / 1024) MB"
        )
        shutdown(flood.descriptor, Int32(SHUT_WR))
        readerThread.cancel()
        #expect(daemon.stop() == 0)
    }

    @Test("clients that vanish mid-request and mid-response leave the daemon serving")
    func vanishing() async throws {
        let daemon = try DaemonProcess()
        for _ in 0..<20 {
            let half = try RawConnection(daemon.socketPath)
            half.send(Array(requestBytes(Opcode.ping.rawValue, id: 1).prefix(7)))  // mid-request
        }
        for _ in 0..<20 {
            let greedy = try RawConnection(daemon.socketPath)
            let request = requestBytes(Opcode.validate.rawValue, id: 2) {
                $0.writeField(0x01, text: "4111111111111111")
            }
            greedy.send(Array([[UInt8]](repeating: request, count: 2_000).joined()))  // then gone before reading
        }
        try await stillServes(daemon, "vanished clients")
        #expect(daemon.stop() == 0)
    }
}

/// A repeating pattern of 4,096 well-formed requests (VALIDATE of a full card, PING with a 256-byte
/// payload, alternately; ids 1...4,096), sent from any byte offset: a partial write resumes mid-frame,
/// so the stream stays well framed however the kernel splits it.
final class FloodStream: Sendable {
    let pattern: [UInt8]
    /// Where each frame of the pattern ends.
    let frameEnds: [Int]
    static let count = 4_096

    init() {
        var bytes: [UInt8] = []
        var ends: [Int] = []
        for id in 1...UInt32(Self.count) {
            if id % 2 == 1 {
                bytes += requestBytes(Opcode.validate.rawValue, id: id) {
                    $0.writeField(0x01, text: "4111 1111 1111 1111")
                    $0.writeField(0x02, text: "12/30")
                    $0.writeField(0x10, text: "123 Main St")
                    $0.writeField(0x11, text: "12345")
                    $0.writeField(0x20, text: "123 Main Street")
                    $0.writeField(0x21, text: "12345-6789")
                }
            } else {
                bytes += requestBytes(Opcode.ping.rawValue, id: id) {
                    $0.writeField(0x01, bytes: [UInt8](repeating: UInt8(id & 0x7F), count: 256))
                }
            }
            ends.append(bytes.count)
        }
        pattern = bytes
        frameEnds = ends
    }

    /// Sends from stream offset `offset` (never past `limit`); returns the bytes taken, 0 if none.
    func send(on descriptor: Int32, from offset: Int, upTo limit: Int, blocking: Bool) -> Int {
        let start = offset % pattern.count
        let length = min(pattern.count - start, limit - offset)
        let flags = Int32(MSG_NOSIGNAL) | (blocking ? 0 : Int32(MSG_DONTWAIT))
        let written = pattern.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + start, length, flags) }
        return max(0, written)
    }

    /// How many whole frames the first `length` bytes of the stream hold.
    func frames(in length: Int) -> Int {
        let (cycles, rest) = length.quotientAndRemainder(dividingBy: pattern.count)
        return cycles * Self.count + frameEnds.prefix { $0 <= rest }.count
    }
}

/// Reads the answers to a ``FloodStream`` and checks each one's id and operation, in order, looking at
/// headers only.
final class FloodReader: @unchecked Sendable {
    private let descriptor: Int32
    private let stream: FloodStream
    private let lock = NSLock()
    private var answered = 0
    private var trouble: String?

    init(descriptor: Int32, stream: FloodStream) {
        self.descriptor = descriptor
        self.stream = stream
    }

    var answers: Int { lock.withLock { answered } }
    var failed: Bool { lock.withLock { trouble != nil } }
    var problem: String { lock.withLock { trouble ?? "" } }

    func run() {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var filled = 0
        var count = 0
        while true {
            let read = buffer.withUnsafeMutableBytes {
                recv(descriptor, $0.baseAddress! + filled, $0.count - filled, 0)
            }
            if read <= 0 { return }
            filled += read
            var offset = 0
            let problem: String? = buffer.withUnsafeBytes { raw in
                while filled - offset >= 12 {
                    let length = Int(UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                    guard filled - offset >= 4 + length else { break }
                    let opcode = raw[offset + 5]
                    let id = UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self))
                    let expectedID = UInt32(count % FloodStream.count + 1)
                    let expectedOpcode: UInt8 = expectedID % 2 == 1 ? 0x83 : 0x82
                    guard id == expectedID, opcode == expectedOpcode else {
                        return
                            "answer \(count): id \(id) opcode \(opcode), expected id \(expectedID) opcode \(expectedOpcode)"
                    }
                    count += 1
                    offset += 4 + length
                }
                return nil
            }
            if let problem {
                lock.withLock { trouble = problem }
                return
            }
            buffer.withUnsafeMutableBytes { raw in
                raw.baseAddress!.copyMemory(from: raw.baseAddress! + offset, byteCount: filled - offset)
            }
            filled -= offset
            lock.withLock { answered = count }
        }
    }
}
