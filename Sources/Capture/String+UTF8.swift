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

    /// `seed` and the UTF-8 bytes (with their count, so that consecutive strings fold apart however
    /// their bytes are split) mixed into a word, 8 bytes at a time: for keys that hash one word.
    public func foldUTF8(into seed: UInt64) -> UInt64 {
        withUTF8Bytes { UnsafeRawBufferPointer($0).fold(into: seed) }
    }

    /// Calls `body` with the UTF-8 bytes, in place for a native string (no copy of the string, so
    /// no reference counted: these run several times for every message projected).
    @inlinable public func withUTF8Bytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if let r = try utf8.withContiguousStorageIfAvailable(body) { return r }
        var copy = self
        return try copy.withUTF8(body)
    }
}

extension UnsafeRawBufferPointer {
    /// `seed`, the count and the bytes mixed into a word, 8 bytes at a time.
    public func fold(into seed: UInt64) -> UInt64 {
        var h = (seed ^ UInt64(count)) &* 0x9E37_79B9_7F4A_7C15
        var i = 0
        while i + 8 <= count {
            h = (h ^ loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            i += 8
        }
        var tail: UInt64 = 0
        for k in i..<count { tail |= UInt64(self[k]) << (8 * UInt64(k - i)) }
        h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        return h ^ (h >> 29)
    }
}
