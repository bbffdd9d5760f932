import CardCheckJSON
import Foundation
import Logging
import NIOConcurrencyHelpers

/// `log_format = json`: one JSON object per line on standard error, for journald's and log shippers'
/// indexing. Keys: `time` (ISO 8601, UTC, milliseconds), `level`, `label`, `message`, `source`, then the
/// event's metadata as keys of its own (the logger's, then the event's): `peer`, `connection`, `kind`,
/// `code`, ... A metadata key that would shadow one of those five gets an underscore in front. Messages
/// are constant and metadata never holds a PAN beyond its mask or a code, as with `text`.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String

    /// One line at a time, from any thread.
    private static let lock = NIOLock()
    private static let reserved: Set<String> = ["time", "level", "label", "message", "source"]
    private static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let line = Self.line(
            time: Date(),
            level: event.level,
            label: label,
            message: "\(event.message)",
            source: event.source,
            metadata: metadata.merging(event.metadata ?? [:]) { _, new in new }
        )
        let bytes = Array((line + "\n").utf8)
        Self.lock.withLock {
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
                if written <= 0 { break }
                offset += written
            }
        }
    }

    /// The line for one event (without its newline).
    static func line(
        time: Date,
        level: Logger.Level,
        label: String,
        message: String,
        source: String,
        metadata: Logger.Metadata
    ) -> String {
        var json = JSONWriter()
        json.add("time", timeFormat.format(time))
        json.add("level", level.rawValue)
        json.add("label", label)
        json.add("message", message)
        json.add("source", source)
        for key in metadata.keys.sorted() {
            let name = reserved.contains(key) ? "_" + key : key
            json.add(name, "\(metadata[key]!)")
        }
        return json.finished
    }
}
