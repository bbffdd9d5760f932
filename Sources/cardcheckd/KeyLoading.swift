import CardCheckCrypto
import Foundation

/// Reads the card verification keys: systemd's credential `cardcheck-keys` (in `$CREDENTIALS_DIRECTORY`,
/// from `LoadCredential=`) when there is one, else the `keys` file of the configuration, which must
/// belong to the daemon's user and be readable by nobody else. Errors name the file and line, never a key.
enum KeyLoading {
    static let credentialName = "cardcheck-keys"

    struct Loaded {
        var table: KeyTable
        /// Where the keys came from, for the log.
        var source: String
    }

    static func load(_ configuration: Configuration) throws(ConfigurationError) -> Loaded? {
        if let directory = ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty {
            let path = directory + "/" + credentialName
            if FileManager.default.fileExists(atPath: path) {
                // systemd made this file for this service alone (mode 0400, its user).
                return Loaded(table: try parse(try read(path, checkOwnership: false), file: path), source: "credential \(credentialName)")
            }
        }
        guard !configuration.keyFile.isEmpty else { return nil }
        let path = configuration.keyFile
        return Loaded(table: try parse(try read(path, checkOwnership: true), file: path), source: path)
    }

    private static func read(_ path: String, checkOwnership: Bool) throws(ConfigurationError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw ConfigurationError(message: "cannot open key file \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            throw ConfigurationError(message: "key file \(path) is not a regular file")
        }
        if checkOwnership {
            guard status.st_uid == geteuid() else {
                throw ConfigurationError(message: "key file \(path) belongs to uid \(status.st_uid), not to the daemon's user (uid \(geteuid()))")
            }
            guard status.st_mode & 0o077 == 0 else {
                throw ConfigurationError(message: "key file \(path) is mode 0\(String(status.st_mode & 0o777, radix: 8)): "
                                         + "group or others may read it; make it 0600 or 0400")
            }
        }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        let count = bytes.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
        guard count == bytes.count else { throw ConfigurationError(message: "cannot read key file \(path)") }
        defer { SecretText.wipe(&bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses the file's text, then wipes it: only the key schedules stay in memory.
    private static func parse(_ text: consuming String, file: String) throws(ConfigurationError) -> KeyTable {
        var text = text
        defer { SecretText.wipe(&text) }
        do { return try KeyFile.parse(text) } catch {
            throw ConfigurationError(file: file, line: error.line, message: error.message)
        }
    }
}
