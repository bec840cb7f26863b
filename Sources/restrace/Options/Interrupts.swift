#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// SIGINT/SIGTERM as a flag that long-running commands poll, so they stop cleanly.
enum Interrupts {
    private static let flag = Atomic<Bool>(false)

    static var requested: Bool { flag.load(ordering: .relaxed) }

    static func install() {
        // A parent may have started us with these blocked (Foundation's Process does): unblock them.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { _ in Interrupts.flag.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in Interrupts.flag.store(true, ordering: .relaxed) }
    }
}
