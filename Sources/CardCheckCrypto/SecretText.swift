import CSystemCrypto

/// Wipes text that held key material (a key file's contents, a key in hex) once it has been parsed, so
/// that freed heap memory does not keep it. OPENSSL_cleanse is a wipe the optimiser may not remove.
public enum SecretText {
    public static func wipe(_ text: inout String) {
        text.withUTF8 { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
            OPENSSL_cleanse(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }

    public static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress, !raw.isEmpty else { return }
            OPENSSL_cleanse(base, raw.count)
        }
    }
}
