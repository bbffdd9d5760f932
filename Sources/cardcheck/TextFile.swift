import ArgumentParser
import Foundation

/// Writing files that other programs read while we write them.
enum TextFile {
    /// Replaces `path` with `text` atomically: a temporary file in the same directory, flushed to disk,
    /// then renamed over `path`, so a reader (node_exporter's textfile collector) sees the old file or
    /// the new one, never half of one. Mode 0644: metrics hold no card data.
    static func replace(_ path: String, with text: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp").path
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("cannot create \(temporary)") }
        var written = true
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                written = false
                break
            }
            offset += count
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard written, synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw failure("cannot write \(path): \(reason)")
        }
    }

    private static func failure(_ message: String) -> ExitCode {
        Terminal.printError(message)
        return ExitCode(74)  // EX_IOERR
    }
}
