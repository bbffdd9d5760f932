/// Writes one JSON object, keys in the order they are added, as compact RFC 8259 text.
public struct JSONWriter {
    public private(set) var text = "{"
    private var first = true

    public init() {}

    private mutating func key(_ name: String) {
        if !first { text += "," }
        first = false
        JSONWriter.appendString(name, to: &text)
        text += ":"
    }

    public mutating func add(_ name: String, _ value: String?) {
        key(name)
        if let value { JSONWriter.appendString(value, to: &text) } else { text += "null" }
    }

    public mutating func add(_ name: String, _ value: Bool?) {
        key(name)
        text += value.map { $0 ? "true" : "false" } ?? "null"
    }

    public mutating func add(_ name: String, number: UInt64) {
        key(name)
        text += String(number)
    }

    public mutating func add(_ name: String, _ values: [String]) {
        key(name)
        text += "["
        for (index, value) in values.enumerated() {
            if index > 0 { text += "," }
            JSONWriter.appendString(value, to: &text)
        }
        text += "]"
    }

    /// Adds a nested object written by `body`.
    public mutating func add(_ name: String, object body: (inout JSONWriter) -> Void) {
        key(name)
        var nested = JSONWriter()
        body(&nested)
        text += nested.finished
    }

    public var finished: String { text + "}" }

    static func appendString(_ value: String, to text: inout String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
