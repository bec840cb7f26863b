/// Reads MCAP's little-endian primitives from a record's content; every read is bounds-checked.
struct ByteReader {
    let bytes: ArraySlice<UInt8>
    var index: Int

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes; index = bytes.startIndex }

    var remaining: Int { bytes.endIndex - index }

    private mutating func take(_ n: Int) throws(MCAPFormatError) -> ArraySlice<UInt8> {
        guard n >= 0, remaining >= n else { throw MCAPFormatError.shortRecord(need: n, have: remaining) }
        defer { index += n }
        return bytes[index..<index + n]
    }

    /// Loaded in place: a slice per integer (and a loop over its bytes) was a reference counted
    /// and a loop for each of the four integers of every message.
    private mutating func integer<T: FixedWidthInteger>(_: T.Type) throws(MCAPFormatError) -> T {
        let n = MemoryLayout<T>.size
        guard remaining >= n else { throw MCAPFormatError.shortRecord(need: n, have: remaining) }
        let offset = index - bytes.startIndex
        index += n
        return T(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) })
    }

    mutating func u8() throws(MCAPFormatError) -> UInt8 { try integer(UInt8.self) }
    mutating func u16() throws(MCAPFormatError) -> UInt16 { try integer(UInt16.self) }
    mutating func u32() throws(MCAPFormatError) -> UInt32 { try integer(UInt32.self) }
    mutating func u64() throws(MCAPFormatError) -> UInt64 { try integer(UInt64.self) }

    mutating func string() throws(MCAPFormatError) -> String {
        let n = try u32()
        guard n <= UInt32(remaining) else { throw MCAPFormatError.shortRecord(need: Int(n), have: remaining) }
        return String(decoding: try take(Int(n)), as: UTF8.self)
    }

    mutating func prefixed32() throws(MCAPFormatError) -> ArraySlice<UInt8> {
        let n = try u32()
        guard n <= UInt32(remaining) else { throw MCAPFormatError.shortRecord(need: Int(n), have: remaining) }
        return try take(Int(n))
    }

    mutating func prefixed64() throws(MCAPFormatError) -> ArraySlice<UInt8> {
        let n = try u64()
        guard n <= UInt64(remaining) else { throw MCAPFormatError.shortRecord(need: Int(clamping: n), have: remaining) }
        return try take(Int(n))
    }

    mutating func rest() -> ArraySlice<UInt8> {
        defer { index = bytes.endIndex }
        return bytes[index...]
    }

    mutating func stringMap() throws(MCAPFormatError) -> [String: String] {
        var inner = ByteReader(try prefixed32())
        var map: [String: String] = [:]
        while inner.remaining > 0 { map[try inner.string()] = try inner.string() }
        return map
    }
}

/// A record whose content does not parse.
public enum MCAPFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    case shortRecord(need: Int, have: Int)

    public var description: String {
        switch self {
        case .shortRecord(let need, let have): "record content too short (needs \(need) more bytes, has \(have))"
        }
    }
}
