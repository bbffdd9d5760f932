import Foundation

extension KeyFile {
    /// Why a key file could not be read: a message naming the file (and the line, for a parse error),
    /// never a key.
    public struct ReadError: Error, Equatable, CustomStringConvertible {
        public var path: String
        public var line: Int?
        public var message: String
        public var description: String { "\(path)\(line.map { ":\($0)" } ?? ""): \(message)" }
    }

    /// Who may own the file.
    public enum Ownership: Sendable {
        /// Anything readable: a file systemd made for this service alone (a credential), or a command
        /// run by hand.
        case any
        /// The daemon's own `keys` file: a regular file of the effective user, readable by nobody else.
        case ownerOnly
    }

    /// Reads and parses a key file: the one reader the daemon and every command use. The file's bytes
    /// and the text made from them are wiped (OPENSSL_cleanse) on every path, success or error, so that
    /// freed memory keeps no key; only the key schedules stay.
    public static func load(_ path: String, ownership: Ownership) throws(ReadError) -> KeyTable {
        func failure(_ message: String) -> ReadError { ReadError(path: path, message: message) }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw failure("cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { throw failure("not a regular file") }
        if ownership == .ownerOnly {
            guard status.st_uid == geteuid() else {
                throw failure("belongs to uid \(status.st_uid), not to the daemon's user (uid \(geteuid()))")
            }
            guard status.st_mode & 0o077 == 0 else {
                throw failure(
                    "mode 0\(String(status.st_mode & 0o777, radix: 8)): group or others may read it; make it 0600 or 0400"
                )
            }
        }
        guard status.st_size <= 1 << 20 else { throw failure("larger than 1 MiB: not a key file") }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        defer { SecretText.wipe(&bytes) }
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes {
                Foundation.read(fd, $0.baseAddress! + filled, $0.count - filled)
            }
            guard count > 0 else {
                throw failure("cannot read: \(count == 0 ? "shorter than its size" : String(cString: strerror(errno)))")
            }
            filled += count
        }
        var text = String(decoding: bytes, as: UTF8.self)
        defer { SecretText.wipe(&text) }
        do { return try parse(text) } catch {
            throw ReadError(path: path, line: error.line, message: error.message)
        }
    }
}
