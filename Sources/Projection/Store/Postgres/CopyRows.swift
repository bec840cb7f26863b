import Capture

/// Rows in the text format of PostgreSQL's `COPY … FROM STDIN`: columns separated by tabs, rows
/// ended by a line break, `\N` for NULL, and backslash, tab, line feed and carriage return escaped.
struct CopyRows: RowBinder {
    private(set) var bytes: [UInt8] = []
    private(set) var rows = 0
    private var startOfRow = true
    /// A text value PostgreSQL cannot store (a NUL byte), if one was bound.
    private(set) var refused: String?

    init() { bytes.reserveCapacity(1 << 16) }

    private mutating func separate() {
        if startOfRow { startOfRow = false } else { bytes.append(0x09) }
    }

    mutating func bind(_ v: Int64?) {
        separate()
        if let v { bytes.append(contentsOf: String(v).utf8) } else { null() }
    }

    mutating func bind(_ v: Double?) {
        separate()
        if let v, v.isFinite { bytes.append(contentsOf: "\(v)".utf8) } else { null() }
    }

    mutating func bind(_ v: String?) {
        separate()
        guard let v else { null(); return }
        for b in v.utf8 {
            switch b {
            case 0x5C: bytes.append(0x5C); bytes.append(0x5C)
            case 0x09: bytes.append(0x5C); bytes.append(UInt8(ascii: "t"))
            case 0x0A: bytes.append(0x5C); bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(0x5C); bytes.append(UInt8(ascii: "r"))
            case 0x00: if refused == nil { refused = String(v.prefix(80)) }
            default: bytes.append(b)
            }
        }
    }

    mutating func bind(_ p: CapturePosition) { bind(p.description) }

    /// Ends the row whose columns were bound since the last.
    mutating func endRow() {
        bytes.append(0x0A)
        rows += 1
        startOfRow = true
    }

    private mutating func null() { bytes.append(0x5C); bytes.append(UInt8(ascii: "N")) }
}
