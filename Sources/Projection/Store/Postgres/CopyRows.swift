import Capture

/// Rows in the binary format of PostgreSQL's `COPY … FROM STDIN (FORMAT binary)`: a header, then
/// per row its number of fields and each field as a 32-bit length (-1 for NULL) and its bytes,
/// integers and doubles as 8 bytes in network order, texts as their UTF-8; `trailer` ends them.
/// The text format cost both sides more: the reducer's thread spelled every number in decimal and
/// looked for bytes to escape in every text, and the server parsed them back (docs/performance.md).
/// Every column the projection copies is `bigint`, `double precision` or `text`.
///
/// A batch binds some 60 M fields, so they go into memory of its own, grown by doubling, without
/// an array's checks at each byte. Made on the reducer's thread, then only read on the writer's.
final class CopyRows: RowBinder, @unchecked Sendable {
    private var base: UnsafeMutableRawPointer
    private var capacity: Int
    private(set) var count = 0
    private(set) var rows = 0
    /// Where the row being bound starts (its field count is written when it ends), and its fields.
    private var rowStart = -1
    private var fields: UInt16 = 0
    /// A text value PostgreSQL cannot store (a NUL byte), if one was bound.
    private(set) var refused: String?
    /// The file and chunk of the last position bound, and their text (`FILE@CHUNK_OFFSET#`).
    private var chunk: (file: String, offset: UInt64)?
    private var chunkText: [UInt8] = []

    /// "PGCOPY", line feed, 0xFF, carriage return, line feed, NUL; no flags; no header extension.
    private static let header: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
    /// What ends the rows: a field count of -1.
    static let trailer: [UInt8] = [0xFF, 0xFF]

    init() {
        capacity = 1 << 16
        base = .allocate(byteCount: capacity, alignment: 8)
        Self.header.withUnsafeBytes { append($0) }
    }

    deinit { base.deallocate() }

    /// The header and the rows bound so far (not the trailer).
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Makes room for `more` bytes.
    @inline(__always) private func reserve(_ more: Int) {
        guard count + more > capacity else { return }
        var grown = capacity * 2
        while grown < count + more { grown *= 2 }
        let moved = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 8)
        moved.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = moved
        capacity = grown
    }

    @inline(__always) private func put<T: FixedWidthInteger>(_ v: T) {
        base.storeBytes(of: v.bigEndian, toByteOffset: count, as: T.self)
        count += MemoryLayout<T>.size
    }

    private func append(_ data: UnsafeRawBufferPointer) {
        reserve(data.count)
        if let from = data.baseAddress { (base + count).copyMemory(from: from, byteCount: data.count) }
        count += data.count
    }

    /// Counts a field of the current row, starting the row (with room for its field count) at its
    /// first, and makes room for the field's length and `size` bytes.
    @inline(__always) private func field(_ size: Int) {
        reserve(size + 6)
        if rowStart < 0 {
            rowStart = count
            count += 2
        }
        fields += 1
    }

    func bind(_ v: Int64?) {
        field(8)
        if let v { put(UInt32(8)); put(v) } else { null() }
    }

    func bind(_ v: Double?) {
        field(8)
        if let v, v.isFinite { put(UInt32(8)); put(v.bitPattern) } else { null() }
    }

    func bind(_ v: String?) {
        field(0)
        guard let v else { null(); return }
        v.withUTF8Bytes { text in
            if refused == nil, text.contains(0) { refused = String(v.prefix(80)) }
            put(UInt32(text.count))
            append(UnsafeRawBufferPointer(text))
        }
    }

    /// Spelled straight into the rows (`FILE@CHUNK_OFFSET#INDEX`), its length known once spelled:
    /// the file and chunk as the position before spelled them when they are the same (most events
    /// follow one of the same chunk), then the index.
    func bind(_ p: CapturePosition) {
        field(0)
        if p.chunkOffset != chunk?.offset || p.file != chunk?.file {
            chunk = (p.file, p.chunkOffset)
            chunkText = p.withText { Array($0) }
            chunkText.removeSubrange((chunkText.lastIndex(of: UInt8(ascii: "#"))! + 1)...)
        }
        reserve(4 + chunkText.count + 20)
        let text = base + count + 4
        chunkText.withUnsafeBytes { text.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let length = chunkText.count + spellDecimal(UInt64(max(0, p.index)), at: (text + chunkText.count).assumingMemoryBound(to: UInt8.self))
        put(UInt32(length))
        count += length
    }

    /// Ends the row whose columns were bound since the last.
    func endRow() {
        precondition(rowStart >= 0, "a row binds at least one column")
        base.storeBytes(of: fields.bigEndian, toByteOffset: rowStart, as: UInt16.self)
        rows += 1
        rowStart = -1
        fields = 0
    }

    @inline(__always) private func null() { put(UInt32(bitPattern: -1)) }
}
