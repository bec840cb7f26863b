/// Appends MCAP's little-endian primitives to a byte buffer.
struct ByteWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    /// A `uint32` length-prefixed UTF-8 string.
    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { u32(UInt32($0.count)); bytes.append(contentsOf: $0) }
    }

    /// A `uint32` length-prefixed byte array.
    mutating func prefixed32(_ b: [UInt8]) { u32(UInt32(b.count)); bytes.append(contentsOf: b) }

    /// A `uint64` length-prefixed byte array.
    mutating func prefixed64(_ b: [UInt8]) { u64(UInt64(b.count)); bytes.append(contentsOf: b) }

    /// A map<string, string>: `uint32` byte length, then key/value pairs sorted by key.
    mutating func stringMap(_ map: [String: String]) {
        var inner = ByteWriter()
        for (k, v) in map.sorted(by: { $0.key < $1.key }) { inner.string(k); inner.string(v) }
        prefixed32(inner.bytes)
    }

    /// A record: opcode, `uint64` length, content.
    mutating func record(_ opcode: MCAPOpcode, _ content: [UInt8]) {
        u8(opcode.rawValue)
        u64(UInt64(content.count))
        bytes.append(contentsOf: content)
    }
}
