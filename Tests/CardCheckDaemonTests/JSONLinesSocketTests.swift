import CardCheckTestSupport
import Foundation
import Testing

/// JSON Lines on the daemon's own socket, end to end: what a gateway in any language, or a person with
/// `socat - UNIX-CONNECT:run/cardcheck.sock`, sees.
@Suite("JSON Lines on cardcheckd's socket", .serialized)
struct JSONLinesSocketTests {
    /// Sends `input` (with a reader on another thread, so a large input cannot deadlock on full
    /// buffers) and returns the output lines once `count` have arrived or the connection closed.
    func exchange(_ daemon: DaemonProcess, _ input: String, expecting count: Int) throws -> [String] {
        let connection = try RawConnection(daemon.socketPath)
        // Chunks of varying size with pauses, so that big reads (worker batches) and small ones
        // (answered inline) interleave: the answers must still come in order.
        let writer = Thread {
            let bytes = Array(input.utf8)
            var offset = 0
            var step = 0
            while offset < bytes.count {
                let size = [40_000, 300, 5_000, 90][step % 4]
                connection.send(Array(bytes[offset..<min(offset + size, bytes.count)]))
                offset += size
                step += 1
                if step % 4 == 1 { usleep(200) }
            }
        }
        writer.start()
        var received: [UInt8] = []
        eventually(within: 60, every: 0) {
            let chunk = connection.receive(atLeast: 1)
            received += chunk
            return chunk.isEmpty || received.filter { $0 == UInt8(ascii: "\n") }.count >= count
        }
        return String(decoding: received, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test("policy.shifted: AVS N accepted on an authenticated transaction, reviewed otherwise; reloaded by SIGHUP")
    func shiftedPolicy() throws {
        let daemon = try DaemonProcess(configuration: ["policy.shifted.avs_N = accept"])
        let address =
            #""street":"1 Main St","postal_code":"11111","on_file_street":"2 Oak St","on_file_postal_code":"22222""#
        let pan = #""pan":"4111111111111111""#
        let authenticated = #""three_ds_status":"Y","eci":"05","authentication_value":"AAABCXJ5k5YCIxA0cnmTAAAAAAA=""#
        let lines = [
            "{\(pan),\(address),\(authenticated)}",  // shifted: AVS N accepted
            "{\(pan),\(address)}",  // no 3-D Secure: the policy's review
            "{\(pan),\(address),\"three_ds_status\":\"Y\",\"eci\":\"05\"}",  // no value: not shifted
        ]
        func actions() throws -> [String] {
            try exchange(daemon, lines.joined(separator: "\n") + "\n", expecting: 3).map { line in
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(object?["avs_result"] as? String == "N", "\(line)")
                return (object?["action"] as? String ?? "?") + " "
                    + ((object?["reasons"] as? [String]) ?? []).joined(separator: ",")
            }
        }
        #expect(try actions() == ["accept ", "review avs_N", "review avs_N,three_ds_value_missing"])
        // Without the line, after a reload: the shifted transaction is reviewed for AVS N too.
        try "socket = \(daemon.socketPath)\n".write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        kill(daemon.process.processIdentifier, SIGHUP)
        #expect(daemon.logContains("configuration reloaded", within: 10))
        #expect(try actions() == ["review avs_N", "review avs_N", "review avs_N,three_ds_value_missing"])
        #expect(daemon.stop() == 0)
    }

    @Test(
        "profiles: 10,000 files, each request's profile chosen right; a bad file refuses a reload and keeps them in force"
    )
    func profiles() throws {
        let temporary = try TemporaryDirectory("profiles")
        let directory = temporary.url.appendingPathComponent("profiles")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let actions = ["accept", "review", "retry", "decline"]
        for index in 0..<10_000 {
            try "# merchant \(index)\ncsc_U = \(actions[index % 4])\n".write(
                to: directory.appendingPathComponent("merchant-\(index).conf"),
                atomically: false,
                encoding: .utf8
            )
        }
        let daemon = try DaemonProcess(configuration: ["profiles = \(directory.path)"])
        #expect(daemon.logContains("profiles loaded", within: 10) && daemon.log.contains("count=10000"))
        // A card no key covers: its well-formed code is U, whose action each profile sets.
        let sample = stride(from: 7, to: 10_000, by: 13).map { $0 }
        func answers(_ extra: [String] = []) throws -> [String] {
            let lines = sample.map { #"{"pan":"4111111111111111","csc":"123","profile":"merchant-\#($0)"}"# } + extra
            return try exchange(daemon, lines.joined(separator: "\n") + "\n", expecting: lines.count).map { line in
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                return object?["action"] as? String ?? (object?["error"] as? [String: Any])?["code"] as? String ?? "?"
            }
        }
        let expected = sample.map { actions[$0 % 4] }
        #expect(
            try answers([#"{"pan":"4111111111111111","profile":"merchant-10000"}"#]) == expected + ["unknown_profile"]
        )

        // A bad line in one file: the reload fails, naming it, and every profile stays as it was.
        try "csc_U = sometimes\n".write(
            to: directory.appendingPathComponent("merchant-20.conf"),
            atomically: false,
            encoding: .utf8
        )
        kill(daemon.process.processIdentifier, SIGHUP)
        #expect(daemon.logContains("reload failed", within: 10) && daemon.log.contains("merchant-20.conf:1"))
        #expect(try answers() == expected)
        // Fixed, and one profile changed: the reload takes it.
        try "csc_U = decline\n".write(
            to: directory.appendingPathComponent("merchant-20.conf"),
            atomically: false,
            encoding: .utf8
        )
        try "csc_U = decline\n".write(
            to: directory.appendingPathComponent("merchant-7.conf"),
            atomically: false,
            encoding: .utf8
        )
        kill(daemon.process.processIdentifier, SIGHUP)
        #expect(daemon.logContains("configuration reloaded", within: 10))
        #expect(try answers().first == "decline")
        #expect(daemon.stop() == 0)

        let check = try BuiltBinary.run("cardcheckd", ["--config", daemon.configPath, "--check-config"])
        #expect(check.status == 0 && check.stdout.contains("# profiles: 10000 from \(directory.path)"))
    }

    @Test("the example cards: the same lines, byte for byte, as cardcheck validate --local")
    func examples() throws {
        let daemon = try DaemonProcess()
        let examples = try RepositoryFile.text("Protocol/examples/cards.jsonl")
        let local = try BuiltBinary.run("cardcheck", ["validate", "--local"], input: examples)
        let expected = local.lines
        #expect(expected.count == examples.split(separator: "\n").count)
        #expect(try exchange(daemon, examples, expecting: expected.count) == expected)
        #expect(daemon.stop() == 0)
    }

    @Test(
        "5,000 generated lines pipelined in chunks of varying size (worker and inline batches interleave): every answer, in order, as --local"
    )
    func pipelined() throws {
        // Compared with --local, which has no velocity limits; the random cards repeat AVS failures.
        let daemon = try DaemonProcess(configuration: ["velocity = false"])
        var random = SeededGenerator(seed: 14)
        var lines: [String] = []
        for index in 0..<5_000 {
            let digits = (0..<16).map { _ in String(random.next() % 10) }.joined()
            let pan = index % 3 == 0 ? "4111111111111111" : (index % 3 == 1 ? "378282246310005" : digits)
            let csc = String(format: "%0\(index % 2 == 0 ? 3 : 4)d", Int(random.next() % 1_000))
            let expiry = String(format: "%02d/%02d", Int(random.next() % 12) + 1, Int(random.next() % 15) + 20)
            lines.append(
                #"{"pan":"\#(pan)","expiry":"\#(expiry)","csc":"\#(csc)","street":"\#(index) Main St","postal_code":"12345","on_file_street":"\#(index % 7) Main Street","on_file_postal_code":"12345"}"#
            )
        }
        let input = lines.joined(separator: "\n") + "\n"
        let local = try BuiltBinary.run("cardcheck", ["validate", "--local"], input: input)
        let answers = try exchange(daemon, input, expecting: lines.count)
        #expect(answers.count == lines.count)
        #expect(
            answers == local.lines,
            "the first difference: \(zip(answers, local.lines).first { $0 != $1 }.map { "\($0)" } ?? "none")"
        )
        #expect(daemon.stop() == 0)
        #expect(!daemon.logShows("4111111111111111"))
    }

    @Test("a line over max_frame: an error line with line_too_long, then the close; other clients still served")
    func lineTooLong() throws {
        let daemon = try DaemonProcess(configuration: ["max_frame = 1024"])
        let answers = try exchange(
            daemon,
            #"{"pan":"4111111111111111"}"# + "\n{\"street\":\"" + String(repeating: "x", count: 4_000),
            expecting: 2
        )
        #expect(answers.count == 2)
        #expect(answers.last?.hasPrefix(#"{"error":{"code":"line_too_long""#) == true, "\(answers)")
        #expect(
            try exchange(daemon, #"{"pan":"4111111111111111"}"# + "\n", expecting: 1).first?.contains(
                #""luhn_valid":true"#
            ) == true
        )
        #expect(daemon.stop() == 0)
    }

    @Test("a client that half-closes and reads slowly still gets every answer before the close")
    func halfCloseSlowReader() throws {
        let daemon = try DaemonProcess()
        let connection = try RawConnection(daemon.socketPath)
        let count = 20_000
        let input = Array(String(repeating: #"{"pan":"4111111111111111","expiry":"12/30"}"# + "\n", count: count).utf8)
        let writer = Thread {
            connection.send(input)
            shutdown(connection.descriptor, Int32(SHUT_WR))
        }
        writer.start()
        usleep(500_000)  // let the answers pile up in the daemon, then read them slowly
        var lines = 0
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let read = buffer.withUnsafeMutableBytes { recv(connection.descriptor, $0.baseAddress, $0.count, 0) }
            if read <= 0 { break }
            lines += buffer[0..<read].filter { $0 == UInt8(ascii: "\n") }.count
            usleep(500)
        }
        #expect(lines == count, "\(count - lines) answers were lost at the close")
        #expect(daemon.stop() == 0)
    }
}
