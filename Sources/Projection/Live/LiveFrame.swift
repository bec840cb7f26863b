import Foundation

/// The figures of one refresh of `restrace top`, for a window ending at `asOf`.
public struct LiveFrame: Sendable {
    /// Counts and rates of one kind over the whole capture or over the window.
    public struct Figures: Sendable, Equatable {
        public var started: Int64 = 0
        public var done: Int64 = 0
        public var failed: Int64 = 0
        /// Open tasks silent for longer than the stall time at `asOf` (the same in both: a state
        /// now; in the window, those whose last event was in it).
        public var stalled: Int64 = 0
        public var p50ResponseSeconds: Double?
        public var p95ResponseSeconds: Double?
        /// done / (done + failed), failed / (done + failed); nil before any ended.
        public init() {}
        public var successRate: Double? { done + failed > 0 ? Double(done) / Double(done + failed) : nil }
        public var failureRate: Double? { done + failed > 0 ? Double(failed) / Double(done + failed) : nil }
    }

    public struct Cause: Sendable, Equatable {
        public var kind: TaskKind
        public var failedBy: String?
        public var code: Int64?
        public var message: String?
        public var tasks: Int
        public var devices: Int
    }

    public struct StalledTask: Sendable, Equatable {
        public var kind: TaskKind
        public var product: String
        public var device: String
        public var name: String
        public var state: TaskState
        public var percent: Int64?
        public var idleSeconds: Double
    }

    public var asOf: UInt64
    public var window: UInt64
    public var total: [TaskKind: Figures] = [:]
    public var inWindow: [TaskKind: Figures] = [:]
    /// Failure causes of the tasks that failed in the window, most first.
    public var causes: [Cause] = []
    public var stalledCount = 0
    /// The oldest stalled tasks, oldest first (at most five).
    public var oldestStalled: [StalledTask] = []
    /// Messages up and down in each of the last 60 seconds, oldest first.
    public var upPerSecond: [Int64] = []
    public var downPerSecond: [Int64] = []
    /// Anomalies per kind: all, and those of the window.
    public var anomalies: [(kind: String, total: Int64, window: Int64)] = []
    public var recorderConnected: Bool?
    public var blindWindows: Int
    public var blindSeconds: Double
    public var lastMessageAt: UInt64?
    public var messages: Int64
    /// The kinds whose failure rate in the window crossed the abort threshold.
    public var thresholdCrossed: Set<TaskKind> = []
}

/// What a frame is computed for: the window, the stall time, the abort criteria and the filter.
public struct LiveOptions: Sendable {
    public var window: UInt64 = 60_000_000_000
    public var stallAfter: Duration = .seconds(120)
    /// A kind's window failure rate above this, once `abortMinTasks` ended in the window, is shown as crossed.
    public var abortFailureRate = 0.05
    public var abortMinTasks = 50
    /// Only these products and devices (empty: all).
    public var products: [String] = []
    public var devices: [String] = []
    public init() {}
}

extension LiveTally {
    /// The figures at `asOf` (default: the latest message time).
    public func frame(_ o: LiveOptions, asOf: UInt64? = nil) -> LiveFrame {
        let now = asOf ?? clock ?? 0
        let from = now >= o.window ? now - o.window : 0
        let products = Set(o.products), devices = Set(o.devices)
        func wanted(_ product: String?, _ device: String?) -> Bool {
            (products.isEmpty || product.map(products.contains) == true) && (devices.isEmpty || device.map(devices.contains) == true)
        }
        var f = LiveFrame(asOf: now, window: o.window, blindWindows: recorder.blindWindows,
                          blindSeconds: Double(recorder.blindNanoseconds + (recorder.blindSince.map { now &- $0 } ?? 0)) / 1e9,
                          lastMessageAt: recorder.lastMessage, messages: messages)
        f.recorderConnected = recorder.connected
        var responses: [TaskKind: (all: [UInt64], window: [UInt64])] = [:]
        var causes: [String: (LiveFrame.Cause, Set<String>)] = [:]
        var stalled: [LiveFrame.StalledTask] = []
        for t in tasks.values where wanted(t.key.product, t.key.device) {
            let kind = t.key.kind
            var total = f.total[kind] ?? LiveFrame.Figures(), window = f.inWindow[kind] ?? LiveFrame.Figures()
            total.started += 1
            if t.startedAt > from && t.startedAt <= now { window.started += 1 }
            let endedInWindow = t.finishedAt.map { $0 > from && $0 <= now } ?? false
            switch t.state {
            case .done:
                total.done += 1
                if endedInWindow { window.done += 1 }
            case .failed:
                total.failed += 1
                if endedInWindow {
                    window.failed += 1
                    let key = "\(kind)|\(t.failedBy?.rawValue ?? "")|\(t.resultCode.map(String.init) ?? "")|\(t.resultMessage ?? "")"
                    var c = causes[key] ?? (LiveFrame.Cause(kind: kind, failedBy: t.failedBy?.rawValue, code: t.resultCode,
                                                            message: t.resultMessage, tasks: 0, devices: 0), [])
                    c.0.tasks += 1
                    c.1.insert("\(t.key.product)/\(t.key.device)")
                    causes[key] = c
                }
            default:
                if t.state.isOpen, now >= t.lastEventAt, now - t.lastEventAt > o.stallAfter.nanoseconds {
                    total.stalled += 1
                    if t.lastEventAt > from { window.stalled += 1 }
                    stalled.append(.init(kind: kind, product: t.key.product, device: t.key.device, name: t.key.name, state: t.state,
                                         percent: t.lastPercent, idleSeconds: Double(now - t.lastEventAt) / 1e9))
                }
            }
            if let r = t.requestedAt, let a = t.offeredAt {
                let d = a &- r
                responses[kind, default: ([], [])].all.append(d)
                if a > from && a <= now { responses[kind, default: ([], [])].window.append(d) }
            }
            f.total[kind] = total
            f.inWindow[kind] = window
        }
        for kind in TaskKind.allCases {
            f.total[kind, default: .init()].p50ResponseSeconds = Self.percentile(50, responses[kind]?.all ?? [])
            f.total[kind, default: .init()].p95ResponseSeconds = Self.percentile(95, responses[kind]?.all ?? [])
            f.inWindow[kind, default: .init()].p50ResponseSeconds = Self.percentile(50, responses[kind]?.window ?? [])
            f.inWindow[kind, default: .init()].p95ResponseSeconds = Self.percentile(95, responses[kind]?.window ?? [])
            let w = f.inWindow[kind]!
            if w.done + w.failed >= Int64(o.abortMinTasks), let rate = w.failureRate, rate > o.abortFailureRate { f.thresholdCrossed.insert(kind) }
        }
        f.causes = causes.values.map { c, d in var c = c; c.devices = d.count; return c }
            .sorted { ($0.tasks, $1.kind.rawValue, $1.message ?? "") > ($1.tasks, $0.kind.rawValue, $0.message ?? "") }
        f.stalledCount = stalled.count
        f.oldestStalled = Array(stalled.sorted { ($0.idleSeconds, $0.device) > ($1.idleSeconds, $1.device) }.prefix(5))
        let second = Int64(now / 1_000_000_000)
        for s in (second - 59)...second {
            // Per product: a device filter does not narrow the traffic (it is not kept per device).
            let counts = (traffic[s] ?? [:]).filter { products.isEmpty || products.contains($0.key) }.values
            f.upPerSecond.append(counts.reduce(0) { $0 + $1.up })
            f.downPerSecond.append(counts.reduce(0) { $0 + $1.down })
        }
        var windowAnomalies: [String: Int64] = [:]
        for a in recentAnomalies where a.time > from && a.time <= now && wanted(a.product, a.device) { windowAnomalies[a.kind, default: 0] += 1 }
        let filtered = !products.isEmpty || !devices.isEmpty
        let totals = filtered ? recentAnomalies.filter { wanted($0.product, $0.device) }.reduce(into: [String: Int64]()) { $0[$1.kind, default: 0] += 1 } : anomalies
        f.anomalies = totals.map { ($0.key, $0.value, windowAnomalies[$0.key] ?? 0) }.sorted { ($0.total, $1.kind) > ($1.total, $0.kind) }
        return f
    }

    /// Nearest-rank percentile of durations in ns, in seconds.
    static func percentile(_ p: Double, _ values: [UInt64]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return Double(sorted[Distribution.rank(p, of: sorted.count)]) / 1e9
    }
}
