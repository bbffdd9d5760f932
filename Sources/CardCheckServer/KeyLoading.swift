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
        do throws(KeyFile.ReadError) {
            if let directory = ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty {
                let path = directory + "/" + credentialName
                if FileManager.default.fileExists(atPath: path) {
                    // systemd made this file for this service alone (mode 0400, its user).
                    return Loaded(
                        table: try KeyFile.load(path, ownership: .any),
                        source: "credential \(credentialName)"
                    )
                }
            }
            guard !configuration.keyFile.isEmpty else { return nil }
            return Loaded(
                table: try KeyFile.load(configuration.keyFile, ownership: .ownerOnly),
                source: configuration.keyFile
            )
        } catch {
            throw ConfigurationError(file: error.path, line: error.line, message: "key file: \(error.message)")
        }
    }
}
