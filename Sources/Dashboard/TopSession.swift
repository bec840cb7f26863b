import Broker
import Foundation
import Projection

/// The loop of `restrace top`: feeds the tally from its source, and shows a frame every
/// `interval` seconds, on a full screen with keys or as plain text blocks.
public final class TopSession {
    let source: LiveSource
    var tally = LiveTally()
    public var options: LiveOptions
    public var status: TopView.Status
    let interval: Double
    /// The windows keys 1–4 choose.
    public static let windows: [(key: Character, name: String, ns: UInt64)] = [
        ("1", "1m", 60_000_000_000), ("2", "5m", 300_000_000_000), ("3", "15m", 900_000_000_000), ("4", "1h", 3_600_000_000_000),
    ]

    public init(source: LiveSource, options: LiveOptions, status: TopView.Status, interval: Double) {
        self.source = source
        self.options = options
        self.status = status
        self.interval = interval
    }

    /// Reads everything there is now (or, from a broker, one interval of it) and gives its frame.
    public func once() -> LiveFrame {
        source.catchUp(into: &tally, seconds: interval)
        return tally.frame(options, asOf: source.now)
    }

    /// Plain text blocks, one per interval, until `shouldStop`.
    public func runPlain(shouldStop: () -> Bool, print: (String) -> Void) {
        var next = WallClock.monotonic()
        while !shouldStop() {
            let busy = source.pump(into: &tally, until: next)
            if WallClock.monotonic() >= next {
                status.ended = source.ended
                let lines = TopView.lines(tally.frame(options, asOf: source.now), status, width: 200).map(\.0)
                print((lines + (source.problem.map { ["problem: \($0)"] } ?? []) + [""]).joined(separator: "\n") + "\n")
                next += UInt64(interval * 1e9)
            } else if !busy {
                usleep(UInt32(min(100_000, max(0, (Double(next) - Double(WallClock.monotonic())) / 1e3))))
            }
        }
    }

    /// The full-screen view with keys, until `q` or `shouldStop`; the terminal is put back after.
    public func runInteractive(shouldStop: () -> Bool) {
        let terminal = Terminal()
        terminal.enter()
        defer { Terminal.restore() }
        var next = WallClock.monotonic()
        var redraw = true
        while !shouldStop() {
            // Short steps, so that keys are answered at once even while messages pour in.
            let busy = source.pump(into: &tally, until: min(next, WallClock.monotonic() + 50_000_000))
            // Idle: wait for a key until the next frame is due (or 100 ms: the capture may grow).
            let wait = busy ? 0 : min(0.1, max(0, (Double(next) - Double(WallClock.monotonic())) / 1e9))
            if let key = terminal.key(timeout: wait) {
                if handle(key) == false { return }
                redraw = true
            }
            if terminal.wasResized { redraw = true }
            let now = WallClock.monotonic()
            if now >= next || redraw {
                if now >= next { next = now + UInt64(interval * 1e9) }
                if !status.paused || redraw { draw(terminal) }
                redraw = false
            }
        }
    }

    private func draw(_ terminal: Terminal) {
        let size = terminal.size
        status.ended = source.ended
        var lines = TopView.lines(tally.frame(options, asOf: source.now), status, width: size.columns)
        if let problem = source.problem { lines.insert(("problem: \(problem)", .alert), at: 1) }
        if lines.count > size.rows { lines = Array(lines.prefix(size.rows - 1)) + [lines.last!] }
        terminal.draw(TopView.coloured(lines))
    }

    /// Answers a key; false: quit.
    func handle(_ key: Terminal.Key) -> Bool {
        if key == .closed { return false }
        if var typed = status.prompt {
            switch key {
            case .enter:
                applyFilter(typed)
                status.prompt = nil
            case .escape: status.prompt = nil
            case .backspace: typed = String(typed.dropLast()); status.prompt = typed
            case .character(let c): status.prompt = typed + String(c)
            case .closed: return false
            }
            return true
        }
        guard case .character(let c) = key else { return true }
        switch c {
        case "q", "Q": return false
        case "p", "P": status.paused.toggle()
        case "f", "F": status.prompt = ""
        default:
            if let w = Self.windows.first(where: { $0.key == c }) {
                options.window = w.ns
                status.windowName = w.name
            }
        }
        return true
    }

    /// `PRODUCT` or `PRODUCT/DEVICE`; empty: everything.
    public func applyFilter(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        options.products = parts.isEmpty ? [] : [parts[0]]
        options.devices = parts.count > 1 ? [parts[1]] : []
        status.filter = text
    }
}
