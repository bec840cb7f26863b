import Foundation
import Capture
import Projection

/// The text of one `restrace top` frame: lines, each with a style, cut to the screen's width.
public struct TopView {
    public enum Style { case plain, heading, good, alert, dim }

    /// What the view shows besides the figures: its source, the window's name, the state of keys.
    public struct Status {
        public var source: String
        public var windowName: String
        public var paused = false
        public var filter = ""
        /// A prompt being typed (`f`), shown on the last line.
        public var prompt: String?
        public var stallAfter: Duration
        public var abortFailureRate: Double
        public var abortMinTasks: Int
        /// The end of a closed capture was reached (nothing more will come).
        public var ended = false
        public init(source: String, windowName: String, stallAfter: Duration, abortFailureRate: Double, abortMinTasks: Int) {
            self.source = source
            self.windowName = windowName
            self.stallAfter = stallAfter
            self.abortFailureRate = abortFailureRate
            self.abortMinTasks = abortMinTasks
        }
    }

    public static func lines(_ f: LiveFrame, _ s: Status, width: Int = 120) -> [(String, Style)] {
        var out: [(String, Style)] = []
        func add(_ text: String, _ style: Style = .plain) { out.append((String(text.terminalSafe.prefix(max(20, width))), style)) }
        var head = "restrace top · \(s.source) · as of \(time(f.asOf)) · window \(s.windowName) · stalled after \(seconds(s.stallAfter.nanoseconds))"
        if s.paused { head += " · PAUSED" }
        if s.ended { head += " · end of capture" }
        if !s.filter.isEmpty { head += " · filter \(s.filter)" }
        add(head, .heading)
        let connected = f.recorderConnected.map { $0 ? "connected" : "DISCONNECTED (blind)" } ?? "no recorder events"
        let last = f.lastMessageAt.map { "last message \(String(format: "%.1f", Double(f.asOf &- $0) / 1e9)) s ago" } ?? "no message yet"
        add("recorder: \(connected) · blind windows \(f.blindWindows) (\(String(format: "%.0f", f.blindSeconds)) s) · \(last) · \(f.messages) messages",
            f.recorderConnected == false ? .alert : .plain)
        add("")
        add(row(["", "WINDOW", "started", "done", "failed", "success", "fail", "stalled", "p50 resp", "p95 resp", "TOTAL", "started", "done", "failed", "success", "stalled"]), .dim)
        for kind in TaskKind.allCases {
            let w = f.inWindow[kind] ?? .init(), t = f.total[kind] ?? .init()
            add(row(["\(kind.rawValue)s", "", "\(w.started)", "\(w.done)", "\(w.failed)", percent(w.successRate), percent(w.failureRate),
                     "\(w.stalled)", secondsText(w.p50ResponseSeconds), secondsText(w.p95ResponseSeconds), "",
                     "\(t.started)", "\(t.done)", "\(t.failed)", percent(t.successRate), "\(t.stalled)"]),
                f.thresholdCrossed.contains(kind) ? .alert : .plain)
        }
        let crossed = TaskKind.allCases.filter(f.thresholdCrossed.contains).map { "\($0.rawValue)s" }
        let rule = "abort threshold: failure rate over \(percent(s.abortFailureRate)) once \(s.abortMinTasks) tasks ended in the window"
        add(crossed.isEmpty ? "\(rule): not crossed" : "\(rule): CROSSED for \(crossed.joined(separator: " and "))",
            crossed.isEmpty ? .good : .alert)
        add("")
        add("messages/s (last 60 s)  up \(sparkline(f.upPerSecond)) \(f.upPerSecond.last ?? 0)/s   down \(sparkline(f.downPerSecond)) \(f.downPerSecond.last ?? 0)/s")
        add("")
        add("failure causes in the window", .heading)
        if f.causes.isEmpty { add("  none") }
        for c in f.causes.prefix(5) {
            add("  \(pad("\(c.tasks)", 5, right: true)) tasks \(pad("\(c.devices)", 4, right: true)) devices  \(pad(c.kind.rawValue, 8)) \(pad(c.failedBy ?? "-", 8)) \(pad(c.code.map(String.init) ?? "-", 6, right: true))  \(c.message ?? "")")
        }
        add("")
        let oldest = f.oldestStalled.first.map { ", oldest idle \(String(format: "%.0f", $0.idleSeconds)) s" } ?? ""
        add("stalled transfers: \(f.stalledCount)\(oldest)", f.stalledCount > 0 ? .alert : .heading)
        for t in f.oldestStalled {
            add("  \(t.product)/\(t.device)  \(t.kind.rawValue)  \(t.name)  \(t.state.rawValue)\(t.percent.map { " \($0)%" } ?? "")  idle \(String(format: "%.0f", t.idleSeconds)) s")
        }
        add("")
        add("anomalies (window / total): " + (f.anomalies.isEmpty ? "none" : f.anomalies.map { "\($0.kind) \($0.window)/\($0.total)" }.joined(separator: " · ")))
        add("")
        add(s.prompt.map { "filter (PRODUCT or PRODUCT/DEVICE, empty for all): \($0)_" } ?? "keys: q quit · p pause · f filter · 1 = 1m, 2 = 5m, 3 = 15m, 4 = 1h window", .dim)
        return out
    }

    /// The lines with ANSI colours, for a terminal.
    public static func coloured(_ lines: [(String, Style)]) -> [String] {
        lines.map { text, style in
            switch style {
            case .plain: text
            case .heading: "\u{1B}[1m\(text)\u{1B}[0m"
            case .good: "\u{1B}[32m\(text)\u{1B}[0m"
            case .alert: "\u{1B}[1;31m\(text)\u{1B}[0m"
            case .dim: "\u{1B}[2m\(text)\u{1B}[0m"
            }
        }
    }

    // MARK: - Pieces

    static let widths = [10, 7, 8, 6, 7, 8, 7, 8, 9, 9, 6, 8, 7, 7, 8, 8]
    static func row(_ cells: [String]) -> String {
        cells.enumerated().map { i, c in pad(c, widths[i], right: i > 0) }.joined(separator: " ")
    }

    static func pad(_ s: String, _ n: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, n - s.count))
        return right ? fill + s : s + fill
    }

    static func percent(_ r: Double?) -> String { r.map { String(format: "%.1f%%", $0 * 100) } ?? "-" }
    static func secondsText(_ s: Double?) -> String { s.map { String(format: "%.2fs", $0) } ?? "-" }
    static func seconds(_ ns: UInt64) -> String { "\(ns / 1_000_000_000) s" }
    static func time(_ ns: UInt64) -> String { String(Timestamp.format(ns, fractionDigits: 0)) }

    static func sparkline(_ values: [Int64]) -> String {
        let bars = Array("▁▂▃▄▅▆▇█")
        let top = max(1, values.max() ?? 1)
        return String(values.map { $0 == 0 ? " " : bars[min(bars.count - 1, Int(Double($0) / Double(top) * Double(bars.count - 1)))] })
    }
}
