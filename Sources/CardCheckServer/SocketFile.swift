import Foundation

/// The listening socket's file: stale files are replaced only if nothing listens on them, and the mode
/// and group are set once bound.
public enum SocketFile {
    public enum Failure: Error, CustomStringConvertible {
        case inUse(String)
        case notASocket(String)
        case system(String, Int32)

        public var description: String {
            switch self {
            case let .inUse(path): "\(path): another process is listening on it"
            case let .notASocket(path): "\(path) exists and is not a socket; refusing to replace it"
            case let .system(what, code): "\(what): \(String(cString: strerror(code)))"
            }
        }
    }

    /// Makes the directory and clears a stale socket file at `path`.
    static func prepare(_ path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var status = stat()
        guard lstat(path, &status) == 0 else { return }  // nothing there
        guard status.st_mode & S_IFMT == S_IFSOCK else { throw Failure.notASocket(path) }
        if isListening(path) { throw Failure.inUse(path) }
        guard unlink(path) == 0 else { throw Failure.system("unlink \(path)", errno) }
    }

    /// Whether a process accepts connections on the socket at `path`.
    static func isListening(_ path: String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }

    /// Sets the mode and, if given, the group of the bound socket.
    static func secure(_ path: String, mode: mode_t, group: String?) throws {
        if let group {
            let gid: gid_t
            if let number = gid_t(group) {
                gid = number
            } else if let entry = getgrnam(group) {
                gid = entry.pointee.gr_gid
            } else {
                throw ConfigurationError(message: "socket_group: no group '\(group)'")
            }
            guard chown(path, uid_t.max, gid) == 0 else { throw Failure.system("chown \(path)", errno) }
        }
        guard chmod(path, mode) == 0 else { throw Failure.system("chmod \(path)", errno) }
    }
}
