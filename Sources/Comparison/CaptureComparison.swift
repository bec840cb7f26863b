/// How two captures' conversations compare, task by task.
public struct CaptureComparison: Sendable {
    public struct Options: Sendable {
        /// Fields left out: a whole group (`answers`, `device`, `outcome`, `latency`,
        /// `anomalies`) or a field by its name (`result_msg`, `version`, `device.states`).
        public var ignore: Set<String> = []
        /// A candidate's answer is late when it took longer than this …
        public var latencyBudget: Duration = .seconds(2)
        /// … and longer than this many times the baseline's.
        public var latencyFactor = 3.0
        /// Only tasks started at or after / before these times, of these products and devices
        /// (by their names after mapping).
        public var since: UInt64?
        public var until: UInt64?
        public var products: Set<String> = []
        public var devices: Set<String> = []

        public init() {}

        func ignores(_ field: String) -> Bool {
            ignore.contains { i in
                field == i || field.hasSuffix("." + i) || field.hasPrefix(i + ".") || field.hasPrefix(i + "[")
                    || (i == "latency" && field.hasSuffix(".latency"))
            }
        }

        func selects(_ c: Conversation) -> Bool {
            (since.map { c.startedAt >= $0 } ?? true) && (until.map { c.startedAt <= $0 } ?? true)
                && (products.isEmpty || products.contains(c.key.product)) && (devices.isEmpty || devices.contains(c.key.device))
        }
    }

    /// One way in which the candidate differs. `kind` … `attempt` are nil for a difference in the
    /// anomalies' counts.
    public struct Difference: Sendable, Equatable {
        public var key: Conversation.Key?
        public var field: String
        public var baseline: String?
        public var candidate: String?
        public var baselinePosition: String?
        public var candidatePosition: String?
    }

    public var same = 0
    public var different = 0
    public var missing = 0
    public var extra = 0
    public var differences: [Difference] = []
    /// Every task compared, in order, with whether it differed (for JUnit's test cases).
    public var tasks: [(key: Conversation.Key, differences: [Difference])] = []

    public var isSame: Bool { differences.isEmpty }

    public init(baseline: CaptureConversations, candidate: CaptureConversations, options: Options = Options()) {
        let keys = Set(baseline.conversations.filter { options.selects($0.value) }.keys)
            .union(candidate.conversations.filter { options.selects($0.value) }.keys).sorted()
        for key in keys {
            var found: [Difference] = []
            switch (baseline.conversations[key], candidate.conversations[key]) {
            case (let b?, let c?):
                found = Self.compare(b, c, options)
                if found.isEmpty { same += 1 } else { different += 1 }
            case (let b?, nil):
                missing += 1
                found = [Difference(key: key, field: "task", baseline: b.state, candidate: "missing", baselinePosition: b.lastPosition)]
            case (nil, let c?):
                extra += 1
                found = [Difference(key: key, field: "task", baseline: "missing", candidate: c.state, candidatePosition: c.lastPosition)]
            case (nil, nil):
                continue
            }
            tasks.append((key, found))
            differences += found
        }
        if !options.ignores("anomalies") {
            for kind in Set(baseline.anomalies.keys).union(candidate.anomalies.keys).sorted() {
                let b = baseline.anomalies[kind] ?? 0, c = candidate.anomalies[kind] ?? 0
                if b != c { differences.append(Difference(key: nil, field: "anomalies.\(kind)", baseline: String(b), candidate: String(c))) }
            }
        }
    }

    /// The differences of one matched task, in order: answers, device, outcome.
    static func compare(_ b: Conversation, _ c: Conversation, _ o: Options) -> [Difference] {
        var out: [Difference] = []
        func note(_ field: String, _ x: String?, _ y: String?, _ px: String?, _ py: String?) {
            guard x != y, !o.ignores(field) else { return }
            out.append(Difference(key: b.key, field: field, baseline: x, candidate: y, baselinePosition: px, candidatePosition: py))
        }
        for i in 0..<max(b.answers.count, c.answers.count) {
            let x = i < b.answers.count ? b.answers[i] : nil, y = i < c.answers.count ? c.answers[i] : nil
            let field = "answers[\(i)]"
            guard let x, let y else {
                note("\(field).type", x?.type ?? "no answer", y?.type ?? "no answer", x?.position, y?.position)
                continue
            }
            note("\(field).type", x.type, y.type, x.position, y.position)
            guard x.type == y.type else { continue }
            for name in Conversation.answerFields {
                note("\(field).\(name)", x.fields[name], y.fields[name], x.position, y.position)
            }
            if let dx = x.delay, let dy = y.delay, dy > o.latencyBudget.nanoseconds, Double(dy) > o.latencyFactor * Double(dx) {
                note("\(field).latency", seconds(dx), seconds(dy), x.position, y.position)
            }
        }
        let (pb, pc) = (b.devicePositions.last, c.devicePositions.last)
        note("device.types", b.deviceTypes.joined(separator: " "), c.deviceTypes.joined(separator: " "), pb, pc)
        note("device.states", b.deviceStates.joined(separator: " "), c.deviceStates.joined(separator: " "), pb, pc)
        note("device.last_percent", b.lastPercent.map(String.init), c.lastPercent.map(String.init), pb, pc)
        note("device.fail_result_code", b.failResultCode.map(String.init), c.failResultCode.map(String.init), pb, pc)
        note("outcome.state", b.state, c.state, b.lastPosition, c.lastPosition)
        note("outcome.failed_by", b.failedBy, c.failedBy, b.lastPosition, c.lastPosition)
        note("outcome.result_code", b.resultCode.map(String.init), c.resultCode.map(String.init), b.lastPosition, c.lastPosition)
        return out
    }

    static func seconds(_ ns: UInt64) -> String {
        let s = Double(ns) / 1e9
        return s >= 10 ? String(Int(s.rounded())) + " s" : String((s * 1000).rounded() / 1000) + " s"
    }
}
