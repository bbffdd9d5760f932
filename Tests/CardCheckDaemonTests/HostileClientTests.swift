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
        mixed.send(requestBytes(Opcode.ping.rawValue, id: 7) + [0x00, 0x00, 0x00, 0x10] + Array("not a frame at all".utf8))
        let answers = try frames(in: mixed.receive(atLeast: 40))
        #expect(answers.first?.requestID == 7 && answers.first?.opcode == Opcode.ping.responseOpcode)
        #expect(errorKind(answers.dropFirst().first) == .malformed)
        #expect(mixed.isClosedByPeer())

        // Invalid UTF-8 in address fields: compared as bytes, answered, never a crash.
        let bytes = try RawConnection(daemon.socketPath)
        bytes.send(requestBytes(Opcode.validate.rawValue, id: 8) {
            $0.writeField(0x10, bytes: [0x31, 0x32, 0xC3, 0x28, 0xFF, 0xFE, 0x20, 0x4D])  // street
            $0.writeField(0x11, bytes: [0x31, 0x32, 0x33, 0x34, 0x35])
            $0.writeField(0x20, bytes: [0x31, 0x32, 0xED, 0xA0, 0x80])  // a lone surrogate
            $0.writeField(0x21, bytes: [0x31, 0x32, 0x33, 0x34, 0x35])
        })
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
        let frame = requestBytes(Opcode.ping.rawValue, id: 9) { $0.writeField(0x01, bytes: [UInt8](repeating: 0x61, count: 200)) }
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

    @Test("a client that pipelines without reading meets backpressure: bounded memory, others served")
    func neverReads() async throws {
        let daemon = try DaemonProcess(configuration: ["max_in_flight = 64"])
        let before = try residentKilobytes(daemon)
        let greedy = try RawConnection(daemon.socketPath)
        let request = requestBytes(Opcode.validate.rawValue, id: 1) { $0.writeField(0x01, text: "4111111111111111") }
        let burst = Array([[UInt8]](repeating: request, count: 1_000).joined())
        var sent = 0
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {  // until the socket buffers are full and stay full
            let written = burst.withUnsafeBytes { Glibc.send(greedy.descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
            if written > 0 { sent += written } else { usleep(20_000) }
        }
        #expect(sent > 1_000_000 / 10, "sent only \(sent) bytes")
        #expect(sent < 200_000_000, "the daemon read without bound: \(sent) bytes taken")
        let grown = try residentKilobytes(daemon) - before
        #expect(grown < 50_000, "RSS grew by \(grown) kB while the client never read")
        try await stillServes(daemon, "a client that never reads")
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
            let request = requestBytes(Opcode.validate.rawValue, id: 2) { $0.writeField(0x01, text: "4111111111111111") }
            greedy.send(Array([[UInt8]](repeating: request, count: 2_000).joined()))  // then gone before reading
        }
        try await stillServes(daemon, "vanished clients")
        #expect(daemon.stop() == 0)
    }
}
