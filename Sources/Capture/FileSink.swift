#if canImport(Glibc)
import Glibc
#endif

/// An append-only file written with plain `write(2)`, so that errors such as a full disk surface
/// at once with their reason.
final class FileSink {
    let path: String
    private var fd: Int32
    private(set) var size: UInt64 = 0

    /// Creates `path`; fails if it exists (a closed segment is never rewritten).
    init(creating path: String) throws(CaptureError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 { throw .io(path: path, reason: "cannot create: \(String(cString: strerror(errno)))") }
    }

    func write(_ bytes: [UInt8]) throws(CaptureError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, reason: "write failed at offset \(size + UInt64(done)): \(String(cString: strerror(errno)))")
            }
            done += n
        }
        size += UInt64(bytes.count)
    }

    func sync() { _ = fsync(fd) }

    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    deinit { close() }
}
