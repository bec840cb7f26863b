import Capture

/// Rows in the binary format of PostgreSQL's `COPY … FROM STDIN (FORMAT binary)`: a header, then
/// per row its number of fields and each field as a 32-bit length (-1 for NULL) and its bytes,
/// integers and doubles as 8 bytes in network order, texts as their UTF-8; `trailer` ends them.
/// The text format cost both sides more: the reducer's thread spelled every number in decimal and
/// looked for bytes to escape in every text, and the server parsed them back (docs/performance.md).
/// Every column the projection copies is `bigint`, `double precision` or `text`.
struct CopyRows: RowBinder {
    private(set) var bytes: [UInt8] = Self.header
    private(set) var rows = 0
    /// Where the row being bound starts (its field count is written when it ends), and its fields.
    private var rowStart = -1
    private var fields: UInt16 = 0
    /// A text value PostgreSQL cannot store (a NUL byte), if one was bound.
    private(set) var refused: String?

    /// "PGCOPY", line feed, 0xFF, carriage return, line feed, NUL; no flags; no header extension.
    private static let header: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
    /// What ends the rows: a field count of -1.
    static let trailer: [UInt8] = [0xFF, 0xFF]

    init() { bytes.reserveCapacity(1 << 16) }

    /// Counts a field of the current row, starting the row (with room for its field count) at its first.
    private mutating func field() {
        if rowStart < 0 {
            rowStart = bytes.count
            bytes.append(0); bytes.append(0)
        }
        fields += 1
    }

    private mutating func append32(_ v: UInt32) {
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }

    private mutating func append64(_ v: UInt64) {
        append32(8)
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func bind(_ v: Int64?) {
        field()
        if let v { append64(UInt64(bitPattern: v)) } else { null() }
    }

    mutating func bind(_ v: Double?) {
        field()
        if let v, v.isFinite { append64(v.bitPattern) } else { null() }
    }

    mutating func bind(_ v: String?) {
        field()
        guard let v else { null(); return }
        v.withUTF8Bytes { text in
            if refused == nil, text.contains(0) { refused = String(v.prefix(80)) }
            append32(UInt32(text.count))
            bytes.append(contentsOf: text)
        }
    }

    /// Spelled straight into the rows (`FILE@CHUNK_OFFSET#INDEX`), its length known once spelled.
    mutating func bind(_ p: CapturePosition) {
        field()
        let lengthAt = bytes.count
        append32(0)
        p.withText { bytes.append(contentsOf: $0) }
        let length = UInt32(bytes.count - lengthAt - 4).bigEndian
        withUnsafeBytes(of: length) { for (i, b) in $0.enumerated() { bytes[lengthAt + i] = b } }
    }

    /// Ends the row whose columns were bound since the last.
    mutating func endRow() {
        precondition(rowStart >= 0, "a row binds at least one column")
        bytes[rowStart] = UInt8(fields >> 8)
        bytes[rowStart + 1] = UInt8(fields & 0xFF)
        rows += 1
        rowStart = -1
        fields = 0
    }

    private mutating func null() { append32(UInt32(bitPattern: -1)) }
}
