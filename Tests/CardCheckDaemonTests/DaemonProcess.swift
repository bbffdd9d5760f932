import CardCheckTestSupport
import Foundation

/// A real `cardcheckd` process on a socket in a fresh temporary directory.
final class DaemonProcess: @unchecked Sendable {
    let directory: URL
    let socketPath: String
    let configPath: String
    let process = Process()
    private let errorPipe = Pipe()
    private let errorLog = NSMutableData()
    private let lock = NSLock()
    /// Whether the directory is removed with this process; a daemon started in its place takes it over.
    private var ownsDirectory = true

    /// Starts the daemon with `configuration` lines and waits until its socket accepts connections.
    convenience init(configuration: [String] = [], arguments: [String] = [], environment: [String: String] = [:]) throws
    {
        let temporary = try TemporaryDirectory("ccd")
        temporary.keep = true  // this process removes it (ownsDirectory)
        let directory = temporary.url
        let configPath = directory.appendingPathComponent("cardcheckd.conf").path
        try (["socket = \(directory.appendingPathComponent("cardcheck.sock").path)"] + configuration).joined(
            separator: "\n"
        )
        .write(toFile: configPath, atomically: true, encoding: .utf8)
        try self.init(directory: directory, arguments: arguments, environment: environment)
    }

    /// Starts a new daemon with the configuration and socket of `previous` (which has exited or been
    /// killed), as a service manager restarting it would.
    convenience init(replacing previous: DaemonProcess, arguments: [String] = []) throws {
        previous.ownsDirectory = false
        try self.init(directory: previous.directory, arguments: arguments, environment: [:])
    }

    private init(directory: URL, arguments: [String], environment: [String: String]) throws {
        self.directory = directory
        socketPath = directory.appendingPathComponent("cardcheck.sock").path
        configPath = directory.appendingPathComponent("cardcheckd.conf").path
        process.executableURL = BuiltBinary.url("cardcheckd")
        process.arguments = ["--config", configPath] + arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardError = errorPipe
        process.standardOutput = FileHandle.nullDevice
        errorPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.errorLog.append(data) }
        }
        try process.run()
        let socketPath = self.socketPath
        let process = self.process
        let started = eventually(within: 20) { !process.isRunning || RawConnection.canConnect(socketPath) }
        guard started, process.isRunning else { throw DaemonError.didNotStart(log) }
    }

    var log: String { lock.withLock { String(decoding: errorLog as Data, as: UTF8.self) } }

    /// Whether the log has a line containing `text` within `timeout`: the log arrives through a pipe
    /// read on another thread, a moment after the daemon writes it.
    func logContains(_ text: String, within timeout: TimeInterval = 3) -> Bool {
        eventually(within: timeout) { log.contains(text) }
    }

    /// Whether `secret` appears in the log. Digits count only as a number of their own, and only outside
    /// what varies from run to run (timestamps, temporary paths, process ids): a three-digit code must
    /// not be "found" inside a random directory name.
    func logShows(_ secret: String) -> Bool {
        let text =
            log
            .replacing(/\/tmp\/\S+/, with: "")
            .replacing(/(?m)^\S+[ ]/, with: "")
            .replacing(/pid[ =]\d+/, with: "")
        guard secret.allSatisfy(\.isNumber) else { return text.contains(secret) }
        return text.split { !$0.isNumber }.contains { $0 == secret }
    }

    /// Sends `signal` and waits for the process to exit; returns its status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
        errorPipe.fileHandleForReading.readabilityHandler = nil
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        if ownsDirectory { try? FileManager.default.removeItem(at: directory) }
    }

    enum DaemonError: Error { case didNotStart(String) }
}

/// A plain blocking Unix-socket connection, for sending bytes no well-behaved client would.
// @unchecked: a socket descriptor; one thread may send while another receives.
final class RawConnection: @unchecked Sendable {
    let descriptor: Int32

    init(_ path: String) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard RawConnection.connect(descriptor, path) else {
            close(descriptor)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    deinit { close(descriptor) }

    static func canConnect(_ path: String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        return connect(descriptor, path)
    }

    private static func connect(_ descriptor: Int32, _ path: String) -> Bool {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { return }
            offset += sent
        }
    }

    /// Reads until `count` bytes arrived, the peer closed, or the timeout passed.
    func receive(atLeast count: Int) -> [UInt8] {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while received.count < count {
            let read = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if read <= 0 { break }
            received += chunk[0..<read]
        }
        return received
    }

    /// True when the peer closed the connection (EOF) within the timeout.
    func isClosedByPeer() -> Bool {
        var byte: UInt8 = 0
        while true {
            let read = recv(descriptor, &byte, 1, 0)
            if read == 0 { return true }
            if read < 0 { return false }
        }
    }

    func shutdownWrite() { shutdown(descriptor, Int32(SHUT_WR)) }
}
