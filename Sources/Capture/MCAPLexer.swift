/// Splits a byte stream into raw MCAP records. Feed it bytes as they arrive; `next()` returns nil
/// when it needs more. It holds only the bytes of the record being assembled.
public struct MCAPLexer: Sendable {
    /// One record as it lies in the stream: where it starts, its opcode and content.
    public struct RawRecord: Sendable {
        public var offset: UInt64
        public var opcode: UInt8
        public var content: ArraySlice<UInt8>
        /// Bytes the record takes in the stream (opcode, length and content).
        public var length: UInt64 { 9 + UInt64(content.count) }
    }

    /// Records longer than this are treated as corrupt length fields.
    public static let maximumRecordLength: UInt64 = 1 << 32

    private var buffer: [UInt8] = []
    private var start = 0
    private var needsMagic: Bool
    /// Stream offset of `buffer[start]`.
    public private(set) var offset: UInt64

    /// - Parameters:
    ///   - offset: the stream offset of the first byte that will be appended.
    ///   - expectMagic: true when the stream starts at the beginning of a file.
    public init(offset: UInt64 = 0, expectMagic: Bool = true) {
        self.offset = offset
        needsMagic = expectMagic
    }

    /// Bytes received but not yet returned as records.
    public var pendingBytes: Int { buffer.count - start }

    /// Appends a whole block; with nothing pending (a chunk's records), the block becomes the
    /// buffer without being copied.
    public mutating func append(_ bytes: [UInt8]) {
        guard pendingBytes > 0 else {
            buffer = bytes
            start = 0
            return
        }
        append(bytes[...])
    }

    public mutating func append<B: Sequence<UInt8>>(_ bytes: B) {
        if start > 0, start >= buffer.count / 2 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole record, or nil when more bytes are needed.
    public mutating func next() throws(CaptureError) -> RawRecord? {
        if needsMagic {
            // A prefix that already differs from the magic is not MCAP, however short the file.
            guard buffer[start...].prefix(8).elementsEqual(mcapMagic.prefix(pendingBytes)) else {
                throw .badMagic(file: "", offset: offset)
            }
            guard pendingBytes >= 8 else { return nil }
            consume(8)
            needsMagic = false
        }
        guard pendingBytes >= 9 else { return nil }
        let opcode = buffer[start]
        var length: UInt64 = 0
        for k in 0..<8 { length |= UInt64(buffer[start + 1 + k]) << (8 * k) }
        guard length <= Self.maximumRecordLength else {
            throw .corruptRecord(file: "", offset: offset, reason: "record length \(length) is implausible")
        }
        guard UInt64(pendingBytes) >= 9 + length else { return nil }
        let record = RawRecord(offset: offset, opcode: opcode, content: buffer[start + 9..<start + 9 + Int(length)])
        consume(9 + Int(length))
        return record
    }

    /// The bytes of the record being assembled, needed for the rest of it (0 if unknown).
    public var bytesNeeded: UInt64 {
        guard !needsMagic, pendingBytes >= 9 else { return 0 }
        var length: UInt64 = 0
        for k in 0..<8 { length |= UInt64(buffer[start + 1 + k]) << (8 * k) }
        return 9 + length
    }

    private mutating func consume(_ n: Int) {
        start += n
        offset += UInt64(n)
        if start == buffer.count { buffer.removeAll(keepingCapacity: true); start = 0 }
    }
}
