import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one writer of a capture directory: an exclusive `flock` on `DIR/.restrace.lock`, held for
/// the writer's whole life and released by the kernel when the process ends, however it ends.
/// The file says who holds the lock, so that a second writer (or `recover`) can name it.
public final class CaptureLock {
    public static let fileName = ".restrace.lock"
    private var fd: Int32 = -1
    public let directory: String

    /// Takes the lock of `directory` (which must exist), or throws `.locked` naming its holder.
    public init(directory: String) throws(CaptureError) {
        self.directory = directory
        let path = Self.path(directory)
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { throw .io(path: path, reason: "cannot open the capture's lock: \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.readHolder(fd)
            close(fd)
            fd = -1
            throw .locked(path: directory, holder: holder)
        }
        let text = Array(Self.describeThisProcess().utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit { release() }

    /// Lets another writer in (the kernel does it anyway when the process ends).
    public func release() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }

    /// Who holds the lock of `directory` now, or nil when nobody does.
    public static func holder(of directory: String) -> String? {
        let fd = open(path(directory), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // A shared lock is refused only while a writer holds the exclusive one.
        if flock(fd, LOCK_SH | LOCK_NB) == 0 { return nil }
        return readHolder(fd)
    }

    static func path(_ directory: String) -> String { (directory as NSString).appendingPathComponent(fileName) }

    private static func readHolder(_ fd: Int32) -> String {
        var bytes = [UInt8](repeating: 0, count: 512)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        let text = n > 0 ? String(decoding: bytes[0..<n], as: UTF8.self) : ""
        return text.isEmpty ? "another process" : text
    }

    /// `restrace record (pid 123 on host, since 2026-12-04T21:00:00Z)`.
    private static func describeThisProcess() -> String {
        let args = CommandLine.arguments
        let command = ([(args.first.map { ($0 as NSString).lastPathComponent }) ?? "restrace"] + args.dropFirst().prefix(1))
            .joined(separator: " ")
        let since = Timestamp.format(UInt64(Date().timeIntervalSince1970 * 1e9), fractionDigits: 0)
        return "\(command) (pid \(getpid()) on \(ProcessInfo.processInfo.hostName), since \(since))"
    }
}

/// What a command that rewrites files of a capture (`recover`, `compact`) may touch: it holds
/// the directory's lock for its run, so that no writer starts meanwhile (none in a directory it
/// cannot write: nothing is rewritten there anyway); when a live writer holds the lock, that
/// writer's open file (the newest) is left alone — replacing it would make the writer go on into
/// an unlinked copy.
public struct RewriteClaim {
    public let lock: CaptureLock?
    /// Who writes the capture now, if anyone.
    public let writer: String?
    /// The file that writer has open.
    public let openFile: String?

    /// Claims the capture at `path` (a directory, or a file whose directory is looked at).
    public init(path: String) throws(CaptureError) {
        var lock: CaptureLock?
        var writer: String?
        let directory = CaptureSource.isDirectory(path) ? path : (path as NSString).deletingLastPathComponent
        if CaptureSource.isDirectory(path) {
            do { lock = try CaptureLock(directory: path) } catch .locked(_, let holder) { writer = holder } catch {}
        } else {
            writer = CaptureLock.holder(of: directory)
        }
        self.lock = lock
        self.writer = writer
        openFile = writer == nil ? nil : try CaptureSource.segmentFiles(inDirectory: directory).last
    }

    public func release() { lock?.release() }
}
