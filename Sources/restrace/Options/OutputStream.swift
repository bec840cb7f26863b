#if canImport(Glibc)
import Glibc
#endif

/// Buffered standard output for commands that print many lines.
final class StandardOutput {
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    func write(_ s: String) { buffer.append(contentsOf: s.utf8); if buffer.count >= 1 << 16 { flush() } }
    func write(bytes: [UInt8]) { buffer.append(contentsOf: bytes); if buffer.count >= 1 << 16 { flush() } }
    func line(_ s: String) { write(s); buffer.append(0x0A) }
    func line(bytes: [UInt8]) { write(bytes: bytes); buffer.append(0x0A) }

    func flush() {
        var done = 0
        while done < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress! + done, $0.count - done) }
            if n <= 0 { if errno == EINTR { continue }; exit(errno == EPIPE ? 0 : 1) }
            done += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    deinit { flush() }
}

/// Writes one line (or, without `newline`, a progress fragment) to standard error.
func printError(_ s: String, newline: Bool = true) {
    let bytes = Array((newline ? s + "\n" : s).utf8)
    _ = bytes.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

/// True when standard error is a terminal (progress lines are shown only then).
var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }
