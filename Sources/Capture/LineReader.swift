#if canImport(Glibc)
import Glibc
#endif

/// Reads a file (or standard input, `-`) line by line in blocks; memory is bounded by the longest line.
public final class LineReader {
    public let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    /// Bytes from `start` up to here hold no line end: each byte is searched once, however long the line.
    private var searched = 0
    private var block = [UInt8](repeating: 0, count: 1 << 20)
    private var eof = false
    /// 1-based number of the line last returned.
    public private(set) var lineNumber = 0

    public init(path: String) throws(CaptureError) {
        self.path = path
        if path == "-" {
            fd = STDIN_FILENO
        } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 { throw .io(path: path, reason: "cannot open: \(String(cString: strerror(errno)))") }
        }
    }

    deinit { if fd != STDIN_FILENO { close(fd) } }

    /// The next line without its `\n` (and without a `\r` before it), or nil at the end.
    public func next() throws(CaptureError) -> ArraySlice<UInt8>? {
        while true {
            if let nl = buffer[max(start, searched)...].firstIndex(of: 0x0A) {
                var end = nl
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                let line = buffer[start..<end]
                start = nl + 1
                searched = start
                lineNumber += 1
                return line
            }
            searched = buffer.count
            if eof {
                guard start < buffer.count else { return nil }
                let line = buffer[start...]
                start = buffer.count
                lineNumber += 1
                return line
            }
            if start > 0 { buffer.removeSubrange(0..<start); searched -= start; start = 0 }
            let n = block.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { throw .io(path: path, reason: "read failed: \(String(cString: strerror(errno)))") }
            if n == 0 { eof = true } else { buffer.append(contentsOf: block[0..<n]) }
        }
    }
}
