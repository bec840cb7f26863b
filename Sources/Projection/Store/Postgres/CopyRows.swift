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
        guard let v else { null(); return }
        // In decimal, from the last digit back into a buffer on the stack, then appended at once
        // (a String per number cost more than the COPY itself; reversing the digits in place in
        // `bytes`, through a slice, cost a copy and a tenth of the writer's thread).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var i = 20
            var rest = v.magnitude
            repeat {
                i -= 1
                digits[i] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            if v < 0 { i -= 1; digits[i] = UInt8(ascii: "-") }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[i...]))
        }
    }

    mutating func bind(_ v: Double?) {
        separate()
        if let v, v.isFinite { bytes.append(contentsOf: "\(v)".utf8) } else { null() }
    }

    mutating func bind(_ v: String?) {
        separate()
        guard let v else { null(); return }
        v.withUTF8Bytes { text in
            // Most texts need no escape: appended whole.
            guard text.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0x00 }) else {
                bytes.append(contentsOf: text)
                return
            }
            for b in text {
                switch b {
                case 0x5C, 0x09, 0x0A, 0x0D: escaped(b)
                case 0x00: if refused == nil { refused = String(v.prefix(80)) }
                default: bytes.append(b)
                }
            }
        }
    }

    /// Spelled straight into the rows (positions are plain ASCII: file name, `@`, offset, `#`, index).
    mutating func bind(_ p: CapturePosition) {
        separate()
        p.withText { text in
            for b in text {
                if b == 0x5C || b == 0x09 || b == 0x0A || b == 0x0D { escaped(b) } else { bytes.append(b) }
            }
        }
    }

    /// A backslash, tab, line feed or carriage return, as COPY's text format spells it.
    private mutating func escaped(_ b: UInt8) {
        bytes.append(0x5C)
        switch b {
        case 0x09: bytes.append(UInt8(ascii: "t"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        default: bytes.append(b)
        }
    }

    /// Ends the row whose columns were bound since the last.
    mutating func endRow() {
        bytes.append(0x0A)
        rows += 1
        startOfRow = true
    }

    private mutating func null() { bytes.append(0x5C); bytes.append(UInt8(ascii: "N")) }
}
