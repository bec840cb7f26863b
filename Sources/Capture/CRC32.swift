/// CRC-32 (IEEE 802.3, the zlib polynomial) as MCAP uses it, slice-by-8.
public struct CRC32: Sendable {
    public private(set) var value: UInt32 = 0

    public init() {}

    /// The CRC of `bytes`.
    public static func checksum<B: Collection<UInt8>>(_ bytes: B) -> UInt32 {
        var c = CRC32()
        c.update(bytes)
        return c.value
    }

    public mutating func update<B: Collection<UInt8>>(_ bytes: B) {
        if let done: Void = bytes.withContiguousStorageIfAvailable({ update(raw: $0) }) { return done }
        Array(bytes).withUnsafeBufferPointer { update(raw: $0) }
    }

    public mutating func update(raw: UnsafeBufferPointer<UInt8>) {
        var crc = ~value
        var i = 0
        let n = raw.count
        CRC32.tables.withUnsafeBufferPointer { t in  // the table unchecked: no bounds check per lookup
            while i + 8 <= n {
                let lo = crc ^ (UInt32(raw[i]) | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2]) << 16 | UInt32(raw[i + 3]) << 24)
                crc = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(raw[i + 4])] ^ t[2 * 256 + Int(raw[i + 5])]
                    ^ t[1 * 256 + Int(raw[i + 6])] ^ t[Int(raw[i + 7])]
                i += 8
            }
            while i < n {
                crc = t[Int((crc ^ UInt32(raw[i])) & 0xFF)] ^ (crc >> 8)
                i += 1
            }
        }
        value = ~crc
    }

    private static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t[i] = c
        }
        for i in 0..<256 {
            for k in 1..<8 { t[k * 256 + i] = (t[(k - 1) * 256 + i] >> 8) ^ t[Int(t[(k - 1) * 256 + i] & 0xFF)] }
        }
        return t
    }()
}
