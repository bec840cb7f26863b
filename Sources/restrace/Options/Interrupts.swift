#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// SIGINT/SIGTERM as a flag that long-running commands poll, so they stop cleanly.
enum Interrupts {
    private static let flag = Atomic<Bool>(false)

    static var requested: Bool { flag.load(ordering: .relaxed) }

    static func install() {
        signal(SIGINT) { _ in Interrupts.flag.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in Interrupts.flag.store(true, ordering: .relaxed) }
    }
}
