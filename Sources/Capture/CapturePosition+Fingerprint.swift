import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension CapturePosition {
    /// Identifies the record this position points into, in the capture at `capture` (a directory
    /// or a single file): the CRC-32 of its first 64 bytes (opcode, length, and for a chunk its
    /// time span, size and CRC); nil when the file or the record is not there.
    ///
    /// A checkpoint keeps it: a file rewritten since (by `recover`, which drops corrupt chunks and
    /// so moves the ones after them) holds another record at that offset, and resuming there
    /// would skip or repeat messages.
    public func fingerprint(inCapture capture: String) -> UInt32? {
        let fd = open(path(inCapture: capture), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 64)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(chunkOffset)) }
        guard n >= 9 else { return nil }
        return CRC32.checksum(bytes[0..<n])
    }

    /// The path of the file this position names, in the capture at `capture`.
    public func path(inCapture capture: String) -> String {
        CaptureSource.isDirectory(capture) ? (capture as NSString).appendingPathComponent(file) : capture
    }
}
