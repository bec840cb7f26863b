#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The terminal of a full-screen view: raw keys, the alternate screen, its size. Whatever ends the
/// program (a return, `exit`, Ctrl-C, a crash signal) puts the terminal back as it was.
public final class Terminal {
    /// A key, or `closed` when the terminal went away (its window closed, its tmux server killed).
    public enum Key: Equatable { case character(Character), enter, backspace, escape, closed }

    private static let saved = Mutex<termios?>(nil)
    private static let resized = Atomic<Bool>(false)
    private static let restoreText = "\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l"

    public init() {}

    /// True when standard output and input are terminals (else `top` prints plain text blocks).
    public static var isInteractive: Bool { isatty(STDOUT_FILENO) != 0 && isatty(STDIN_FILENO) != 0 }

    /// Switches to the alternate screen with keys read one by one, unechoed.
    public func enter() {
        var t = termios()
        guard tcgetattr(STDIN_FILENO, &t) == 0 else { return }
        Self.saved.withLock { $0 = t }
        var raw = t
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        raw.c_cc.6 = 0  // VMIN: reads return at once
        raw.c_cc.5 = 0  // VTIME
        tcsetattr(STDIN_FILENO, TCSANOW, &raw)
        atexit { Terminal.restore() }
        for s in [SIGSEGV, SIGBUS, SIGILL, SIGABRT, SIGFPE, SIGTRAP] {
            signal(s) { sig in
                Terminal.restore()
                signal(sig, SIG_DFL)
                raise(sig)
            }
        }
        signal(SIGWINCH) { _ in Terminal.resized.store(true, ordering: .relaxed) }
        write("\u{1B}[?1049h\u{1B}[?25l\u{1B}[2J")
    }

    /// Puts the terminal back (safe to call more than once, and from a signal handler).
    public static func restore() {
        guard let t = saved.withLock({ s -> termios? in defer { s = nil }; return s }) else { return }
        var copy = t
        tcsetattr(STDIN_FILENO, TCSANOW, &copy)
        restoreText.withCString { _ = Glibc.write(STDOUT_FILENO, $0, strlen($0)) }
    }

    /// Columns and rows (80 × 24 when it cannot tell).
    public var size: (columns: Int, rows: Int) {
        var w = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &w) == 0, w.ws_col > 0, w.ws_row > 0 else { return (80, 24) }
        return (Int(w.ws_col), Int(w.ws_row))
    }

    /// True once after the window changed size.
    public var wasResized: Bool { Self.resized.exchange(false, ordering: .relaxed) }

    /// Waits up to `timeout` seconds for a key.
    public func key(timeout: Double) -> Key? {
        var p = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, Int32(max(0, timeout) * 1000)) > 0 else { return nil }
        var byte: UInt8 = 0
        let n = read(STDIN_FILENO, &byte, 1)
        if n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN) || p.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 && n != 1 {
            return .closed
        }
        guard n == 1 else { return nil }
        switch byte {
        case 0x0D, 0x0A: return .enter
        case 0x7F, 0x08: return .backspace
        case 0x1B: return .escape
        default:
            guard byte >= 0x20, byte < 0x7F else { return nil }
            return .character(Character(Unicode.Scalar(byte)))
        }
    }

    /// Draws `lines` over the previous frame.
    public func draw(_ lines: [String]) {
        write("\u{1B}[H" + lines.map { $0 + "\u{1B}[K" }.joined(separator: "\r\n") + "\u{1B}[J")
    }

    public func write(_ s: String) {
        var bytes = Array(s.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if n <= 0 { if errno == EINTR { continue }; return }
            bytes = bytes.dropFirst(n)
        }
    }
}
