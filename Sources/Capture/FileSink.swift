#if canImport(Glibc)
import Glibc
#endif

/// An append-only file written with plain `write(2)`, so that errors such as a full disk surface
/// at once with their reason.
///
/// Bytes handed to `write` are never dropped: what a full disk refused stays pending (in order,
/// after what was written) and goes out first at the next `write` or `retry`. `size` counts
/// them, so that the offsets a writer computes stay true.
final class FileSink {
    let path: String
    private var fd: Int32
    /// Bytes accepted: written, and pending.
    private(set) var size: UInt64 = 0
    private var pending: [UInt8] = []

    /// Creates `path`; fails if it exists (a closed segment is never rewritten).
    init(creating path: String) throws(CaptureError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 {
            if errno == ENOSPC || errno == EDQUOT { throw .diskFull(path: path, reason: String(cString: strerror(errno))) }
            throw .io(path: path, reason: "cannot create: \(String(cString: strerror(errno)))")
        }
    }

    /// True when every accepted byte is in the file.
    var isWritten: Bool { pending.isEmpty }

    /// Accepts `bytes` and writes them (after anything pending). Throws `.diskFull` when the disk
    /// refused some: they stay pending.
    func write(_ bytes: [UInt8]) throws(CaptureError) {
        size += UInt64(bytes.count)
        if pending.isEmpty {
            try drain(bytes)
        } else {
            pending.append(contentsOf: bytes)
            try retry()
        }
    }

    /// Writes what is pending; throws `.diskFull` again while the disk has no room.
    func retry() throws(CaptureError) {
        guard !pending.isEmpty else { return }
        let bytes = pending
        pending = []
        try drain(bytes)
    }

    private func drain(_ bytes: [UInt8]) throws(CaptureError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                let offset = size - UInt64(bytes.count - done)
                if errno == ENOSPC || errno == EDQUOT {
                    pending = Array(bytes[done...])
                    throw .diskFull(path: path, reason: "\(reason) (at offset \(offset))")
                }
                throw .io(path: path, reason: "write failed at offset \(offset): \(reason)")
            }
            done += n
        }
    }

    func sync() { _ = fsync(fd) }

    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    deinit { close() }
}
