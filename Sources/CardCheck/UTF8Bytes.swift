/// A field of a request as UTF-8 bytes, borrowed for the duration of one call. `nil` means the field is
/// absent; an empty buffer means it is present and empty (which matters: an empty CSC was "not entered").
public typealias UTF8Field = UnsafeBufferPointer<UInt8>?

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
    /// Runs `body` over the string's UTF-8 bytes, or over `nil` when the string is absent.
    @inlinable func withUTF8Field<R>(_ body: (UTF8Field) -> R) -> R {
        switch self {
        case let .some(text): text.withUTF8Bytes { body($0) }
        case .none: body(nil)
        }
    }
}

extension Optional where Wrapped == UnsafeBufferPointer<UInt8> {
    /// True when absent, empty, or only spaces and tabs.
    @inlinable var isBlank: Bool {
        guard let bytes = self else { return true }
        for byte in bytes where byte != 0x20 && byte != 0x09 { return false }
        return true
    }

    /// The bytes, or an empty buffer when absent.
    @inlinable var orEmpty: UnsafeBufferPointer<UInt8> {
        self ?? UnsafeBufferPointer(start: nil, count: 0)
    }
}

extension UInt8 {
    @inlinable var isASCIIDigit: Bool { self &- 0x30 < 10 }
    @inlinable var asciiUppercased: UInt8 { self &- 0x61 < 26 ? self &- 0x20 : self }
    @inlinable var isASCIILetter: Bool { (self | 0x20) &- 0x61 < 26 }
    @inlinable var isASCIIAlphanumeric: Bool { isASCIIDigit || isASCIILetter }
}
