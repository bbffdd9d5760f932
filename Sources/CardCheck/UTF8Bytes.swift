extension String {
    /// Runs `body` over the string's UTF-8 bytes without copying them to the heap (native and small strings
    /// are both contiguous on Linux; anything else is made contiguous first).
    @inlinable func withUTF8Bytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = self
        return copy.withUTF8(body)
    }
}

extension Optional where Wrapped == String {
    /// Like ``String/withUTF8Bytes(_:)``, with an empty buffer for `nil`.
    @inlinable func withUTF8Bytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        switch self {
        case let .some(text): text.withUTF8Bytes(body)
        case .none: body(UnsafeBufferPointer(start: nil, count: 0))
        }
    }
}
