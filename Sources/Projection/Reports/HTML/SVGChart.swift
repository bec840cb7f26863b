import Foundation

/// Charts drawn as inline SVG: nothing loaded, nothing run. Every drawn value is a `mark`
/// (a path or a rect) with a `<title>` that a pointer shows.
enum SVGChart {
    static let width = 900.0
    static let left = 64.0, right = 12.0, top = 12.0, bottom = 28.0

    struct Series {
        var name: String
        var colour: String
        /// Value per bucket start (ns).
        var values: [UInt64: Double]
    }

    enum Style { case lines, stackedBars }

    /// Series over time in buckets of `bucket` ns from `from` to `to`, with the `shaded` spans
    /// (the recorder's blind windows) drawn behind them.
    static func time(title: String, unit: String, series: [Series], from: UInt64, to: UInt64, bucket: UInt64,
                     shaded: [(from: UInt64, to: UInt64)], style: Style = .lines, height: Double = 220) -> String {
        let start = from / bucket * bucket
        let end = max(start + bucket, (to / bucket + 1) * bucket)
        let starts = Array(stride(from: start, to: end, by: Int(bucket)))
        let plotW = width - left - right, plotH = height - top - bottom
        let totals = starts.map { b in style == .stackedBars ? series.reduce(0) { $0 + ($1.values[b] ?? 0) }
                                                              : series.map { $0.values[b] ?? 0 }.max() ?? 0 }
        let yMax = niceCeiling(totals.max() ?? 0)
        func x(_ t: UInt64) -> Double { left + plotW * Double(t &- start) / Double(end - start) }
        func y(_ v: Double) -> Double { top + plotH * (1 - v / yMax) }
        var s = open(title: title, height: height)
        for w in shaded where w.to > start && w.from < end {
            let x0 = x(max(w.from, start)), x1 = x(min(w.to, end))
            s += "<rect class=\"blind\" x=\"\(f(x0))\" y=\"\(f(top))\" width=\"\(f(max(1, x1 - x0)))\" height=\"\(f(plotH))\">"
            s += "<title>recorder blind \(ReportTime.format(w.from)) to \(ReportTime.format(w.to))</title></rect>"
        }
        s += yAxis(yMax, unit: unit, y: y) + timeAxis(start: start, end: end, x: x, height: height)
        switch style {
        case .lines:
            for series in series {
                let points = starts.map { b in "\(f(x(b + bucket / 2))),\(f(y(series.values[b] ?? 0)))" }
                s += "<path class=\"mark\" fill=\"none\" stroke=\"\(series.colour)\" stroke-width=\"1.5\" d=\"M\(points.joined(separator: "L"))\">"
                s += "<title>\(series.name.htmlEscaped)</title></path>"
            }
        case .stackedBars:
            let w = max(1, plotW / Double(starts.count) - 1)
            for b in starts {
                var base = 0.0
                for series in series {
                    guard let v = series.values[b], v > 0 else { continue }
                    s += "<rect class=\"mark\" fill=\"\(series.colour)\" x=\"\(f(x(b)))\" y=\"\(f(y(base + v)))\" width=\"\(f(w))\" height=\"\(f(y(base) - y(base + v)))\">"
                    s += "<title>\(ReportTime.format(b)): \(series.name.htmlEscaped) \(number(v))</title></rect>"
                    base += v
                }
            }
        }
        return s + "</svg>" + legend(series.map { ($0.name, $0.colour) }, shaded: !shaded.isEmpty)
    }

    /// Horizontal bars, one per labelled value, largest first as given.
    static func bars(title: String, _ bars: [(label: String, value: Double, colour: String)]) -> String {
        let rowH = 22.0, labelW = 420.0
        let height = top + bottom + rowH * Double(bars.count)
        let xMax = niceCeiling(bars.map(\.value).max() ?? 0)
        let plotW = width - labelW - right - 60
        var s = open(title: title, height: height)
        for (i, b) in bars.enumerated() {
            let y = top + rowH * Double(i)
            let label = b.label.count > 64 ? String(b.label.prefix(63)) + "…" : b.label
            s += "<text x=\"\(f(labelW - 6))\" y=\"\(f(y + rowH * 0.7))\" text-anchor=\"end\">\(label.htmlEscaped)</text>"
            s += "<rect class=\"mark\" fill=\"\(b.colour)\" x=\"\(f(labelW))\" y=\"\(f(y + 3))\" width=\"\(f(max(1, plotW * b.value / xMax)))\" height=\"\(f(rowH - 6))\">"
            s += "<title>\(b.label.htmlEscaped): \(number(b.value))</title></rect>"
            s += "<text x=\"\(f(labelW + max(1, plotW * b.value / xMax) + 4))\" y=\"\(f(y + rowH * 0.7))\">\(number(b.value))</text>"
        }
        return s + "</svg>"
    }

    /// A histogram of `values` (seconds) in 24 bins from 0 to the 99th percentile; the last bin
    /// also holds what lies beyond it.
    static func histogram(title: String, unit: String, series: [(name: String, colour: String, values: [Double])]) -> String {
        let bins = 24
        let all = series.flatMap(\.values).sorted()
        guard !all.isEmpty else { return "" }
        let upper = max(all[Distribution.rank(99, of: all.count)], all.last! > 0 ? 1e-3 : 1)
        let binW = upper / Double(bins)
        let counts = series.map { s in
            s.values.reduce(into: [Double](repeating: 0, count: bins)) { c, v in c[min(bins - 1, max(0, Int(v / binW)))] += 1 }
        }
        let height = 200.0, plotW = width - left - right, plotH = height - top - bottom
        let yMax = niceCeiling(counts.flatMap { $0 }.max() ?? 0)
        func y(_ v: Double) -> Double { top + plotH * (1 - v / yMax) }
        var s = open(title: title, height: height) + yAxis(yMax, unit: "tasks", y: y)
        let slot = plotW / Double(bins), barW = max(1, (slot - 2) / Double(series.count))
        for (i, c) in counts.enumerated() {
            for (b, n) in c.enumerated() where n > 0 {
                let x = left + slot * Double(b) + 1 + barW * Double(i)
                let range = b == bins - 1 ? "≥ \(number(binW * Double(b)))" : "\(number(binW * Double(b)))–\(number(binW * Double(b + 1)))"
                s += "<rect class=\"mark\" fill=\"\(series[i].colour)\" x=\"\(f(x))\" y=\"\(f(y(n)))\" width=\"\(f(barW))\" height=\"\(f(y(0) - y(n)))\">"
                s += "<title>\(series[i].name.htmlEscaped) \(range) \(unit): \(number(n))</title></rect>"
            }
        }
        for b in stride(from: 0, through: bins, by: 6) {
            s += "<text x=\"\(f(left + slot * Double(b)))\" y=\"\(f(height - 8))\" text-anchor=\"middle\">\(number(binW * Double(b))) \(unit)</text>"
        }
        return s + "</svg>" + legend(series.map { ($0.name, $0.colour) }, shaded: false)
    }

    // MARK: - Parts

    private static func open(title: String, height: Double) -> String {
        "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" xmlns=\"http://www.w3.org/2000/svg\"><title>\(title.htmlEscaped)</title>"
    }

    private static func yAxis(_ yMax: Double, unit: String, y: (Double) -> Double) -> String {
        var s = ""
        for v in [0, yMax / 2, yMax] {
            s += "<line class=\"grid\" x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(y(v)))\" y2=\"\(f(y(v)))\"/>"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\">\(number(v))</text>"
        }
        return s + "<text x=\"4\" y=\"\(f(top + 10))\">\(unit.htmlEscaped)</text>"
    }

    private static func timeAxis(start: UInt64, end: UInt64, x: (UInt64) -> Double, height: Double) -> String {
        var s = ""
        let ticks = 6
        let span = end - start
        // 2026-11-26T08:00:00.000Z: the day shown when the chart spans days, seconds when it spans minutes.
        let shown = span > 86_400_000_000_000 ? 5..<16 : span < 3_600_000_000_000 ? 11..<19 : 11..<16
        for i in 0...ticks {
            let t = start + span / UInt64(ticks) * UInt64(i)
            let label = String(Array(ReportTime.format(t))[shown]).replacingOccurrences(of: "T", with: " ")
            s += "<text x=\"\(f(x(t)))\" y=\"\(f(height - 8))\" text-anchor=\"\(i == 0 ? "start" : i == ticks ? "end" : "middle")\">\(label)</text>"
        }
        let day = String(ReportTime.format(start).prefix(10))
        return s + "<text x=\"\(f(width - right))\" y=\"\(f(top + 10))\" text-anchor=\"end\">UTC, from \(day)</text>"
    }

    private static func legend(_ entries: [(String, String)], shaded: Bool) -> String {
        var s = "<p class=\"legend\">"
        for (name, colour) in entries { s += "<span><i style=\"background:\(colour)\"></i>\(name.htmlEscaped)</span> " }
        if shaded { s += "<span><i class=\"blind\"></i>recorder blind</span>" }
        return s + "</p>"
    }

    /// A round number at or above `v` (1, 2 or 5 times a power of ten) for an axis's top.
    static func niceCeiling(_ v: Double) -> Double {
        guard v > 0 else { return 1 }
        let p = pow(10, floor(log10(v)))
        for m in [1.0, 2, 5, 10] where m * p >= v { return m * p }
        return 10 * p
    }

    static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return abs(v) >= 10 ? String(format: "%.1f", v) : String(format: "%.3g", v)
    }

    private static func f(_ v: Double) -> String { String(format: "%.1f", v) }
}
