import Foundation

/// The `cardcheck` binary built beside this test bundle (or `CARDCHECK_BIN`).
enum Binary {
    static var cardcheck: URL {
        if let path = ProcessInfo.processInfo.environment["CARDCHECK_BIN"] { return URL(fileURLWithPath: path) }
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return me.deletingLastPathComponent().appendingPathComponent("cardcheck")
    }

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
    }

    /// Runs `cardcheck` with `arguments`, feeding `input` on standard input.
    static func run(_ arguments: [String], input: String = "") throws -> Run {
        let process = Process()
        process.executableURL = cardcheck
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Write and read concurrently so that a large input cannot deadlock on full pipes.
        let writer = Thread {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let errorData = ErrorCollector(stderr.fileHandleForReading)
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: output, as: UTF8.self),
                   stderr: errorData.finish())
    }

    final class ErrorCollector: @unchecked Sendable {
        private let handle: FileHandle
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)
        init(_ handle: FileHandle) {
            self.handle = handle
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
}

/// Protocol/vectors/validate-jsonl.json.
struct JSONLinesVectors: Decodable {
    struct Vector: Decodable {
        var name: String
        var input: String
        var output: String
    }
    var today: String
    var vectors: [Vector]

    static let shared: JSONLinesVectors = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Protocol/vectors/validate-jsonl.json").standardized
        return try! JSONDecoder().decode(JSONLinesVectors.self, from: Data(contentsOf: url))
    }()
}
