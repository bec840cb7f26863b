#if canImport(Glibc)
import Glibc
#endif

/// Keeps a second projector off a projection file while one is writing it: an exclusive `flock`
/// on the file itself, held for the store's lifetime (SQLite's own locks are `fcntl` locks, which
/// do not interact with it). Readers are not affected.
final class WriterLock {
    private var fd: Int32 = -1

    /// Takes the lock on the existing file at `path`, or throws `.busy` if another process holds it.
    init(path: String) throws {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw ProjectionError.database(path: path, reason: "cannot open: \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            fd = -1
            throw ProjectionError.busy(path: path)
        }
    }

    deinit { if fd >= 0 { close(fd) } }
}
