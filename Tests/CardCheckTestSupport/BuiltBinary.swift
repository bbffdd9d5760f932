import Foundation

/// The project's executables, built beside the test bundle, run as real processes.
public enum BuiltBinary {
    /// `name` (cardcheck, cardcheckd) next to the running test bundle.
    public static func url(_ name: String) -> URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent(name)
    }

    public struct Run: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String

        /// Standard output's lines, without the empty one after the final newline.
        public var lines: [String] {
            stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        }
    }

    /// Runs `name` with `arguments`, feeding `input` on standard input; stdin, stdout and stderr are
    /// served concurrently so that large volumes cannot deadlock on full pipes.
    public static func run(_ name: String, _ arguments: [String], input: String = "") throws -> Run {
        let process = Process()
        process.executableURL = url(name)
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        Thread {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }.start()
        let errors = PipeDrain(stderr.fileHandleForReading)
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus,
            stdout: String(decoding: output, as: UTF8.self),
            stderr: errors.finish()
        )
    }

    /// Starts `cardcheckd --socket path` and waits until `isReady` says the socket accepts.
    public static func startDaemon(socket path: String, isReady: (String) -> Bool) throws -> Process {
        let process = Process()
        process.executableURL = url("cardcheckd")
        process.arguments = ["--socket", path]
        process.standardError = FileHandle.nullDevice
        try process.run()
        eventually(within: 20) { isReady(path) || !process.isRunning }
        return process
    }
}

/// Reads a pipe to its end on a thread of its own.
final class PipeDrain: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }.start()
    }

    func finish() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}
