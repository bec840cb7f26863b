/// Everything that can go wrong reading or writing a capture, with the file and offset involved.
public enum CaptureError: Error, Sendable, Equatable, CustomStringConvertible {
    case badMagic(file: String, offset: UInt64)
    case corruptRecord(file: String, offset: UInt64, reason: String)
    case invalidCRC(file: String, offset: UInt64, expected: UInt32, actual: UInt32)
    case truncated(file: String, offset: UInt64, missing: UInt64)
    case compression(file: String, offset: UInt64, reason: String)
    case unsupportedCompression(file: String, offset: UInt64, name: String)
    case io(path: String, reason: String)
    /// The disk refused bytes for want of room; a writer keeps them and retries.
    case diskFull(path: String, reason: String)
    case notACapture(path: String)
    /// Another process writes the capture directory (`CaptureLock`).
    case locked(path: String, holder: String)
    case closed

    public var description: String {
        switch self {
        case .badMagic(let f, let o): "\(f): not an MCAP file (bad magic at offset \(o))"
        case .corruptRecord(let f, let o, let r): "\(f): corrupt record at offset \(o): \(r)"
        case .invalidCRC(let f, let o, let e, let a):
            "\(f): CRC mismatch in chunk at offset \(o) (expected \(hex(e)), computed \(hex(a)))"
        case .truncated(let f, let o, let m):
            m > 0 ? "\(f): torn at offset \(o) (record cut short, \(m) bytes missing)"
                  : "\(f): not closed: no summary or footer after offset \(o) (torn, or still being recorded)"
        case .compression(let f, let o, let r): "\(f): chunk at offset \(o) does not decompress: \(r)"
        case .unsupportedCompression(let f, let o, let n): "\(f): chunk at offset \(o) uses unsupported compression '\(n)'"
        case .io(let p, let r): "\(p): \(r)"
        case .diskFull(let p, let r): "\(p): disk full: \(r)"
        case .notACapture(let p): "\(p): not a capture (no .mcap files, and not an .mcap file)"
        case .locked(let p, let h): "\(p): this capture is being written by \(h); one writer at a time"
        case .closed: "the capture writer is closed"
        }
    }

    /// The same error, naming `file`.
    func inFile(_ file: String) -> CaptureError {
        switch self {
        case .badMagic(_, let o): .badMagic(file: file, offset: o)
        case .corruptRecord(_, let o, let r): .corruptRecord(file: file, offset: o, reason: r)
        case .invalidCRC(_, let o, let e, let a): .invalidCRC(file: file, offset: o, expected: e, actual: a)
        case .truncated(_, let o, let m): .truncated(file: file, offset: o, missing: m)
        case .compression(_, let o, let r): .compression(file: file, offset: o, reason: r)
        case .unsupportedCompression(_, let o, let n): .unsupportedCompression(file: file, offset: o, name: n)
        default: self
        }
    }
}

private func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16, uppercase: false) }
