#if canImport(Glibc)
import Glibc
#endif

/// Identity by UTF-8 bytes, for what comes off the wire: MQTT topics and the names in payloads
/// are byte strings, but Swift's `==` and hashing treat canonically equivalent spellings (`é` and
/// `e` + U+0301) as one.
extension String {
    /// Equal UTF-8 bytes.
    public func hasSameUTF8(as other: String) -> Bool {
        withUTF8Bytes { x in
            other.withUTF8Bytes { y in x.count == y.count && (x.isEmpty || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0) }
        }
    }

    /// Hashes the UTF-8 bytes, as `hasSameUTF8` compares them; 0xFF (never in UTF-8) ends them, so
    /// that consecutive strings hash apart however their bytes are split.
    public func hashUTF8(into hasher: inout Hasher) {
        withUTF8Bytes { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        hasher.combine(UInt8(0xFF))
    }

    /// Calls `body` with the UTF-8 bytes, in place for a native string (no copy of the string, so
    /// no reference counted: these run several times for every message projected).
    @inlinable public func withUTF8Bytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if let r = try utf8.withContiguousStorageIfAvailable(body) { return r }
        var copy = self
        return try copy.withUTF8(body)
    }
}
