import Foundation

/// Files of this repository that tests read (specifications, vectors, units), by their path from the
/// repository root.
public enum RepositoryFile {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../..").standardized

    public static func url(_ path: String) -> URL { root.appendingPathComponent(path) }

    public static func text(_ path: String) throws -> String { try String(contentsOf: url(path), encoding: .utf8) }

    public static func data(_ path: String) throws -> Data { try Data(contentsOf: url(path)) }
}
