/// One device's conversation during a closed-loop run: what is due to be sent, and what the live
/// side's messages change.
protocol Playback {
    /// When something is next due (monotonic ns), or nil while waiting on the live side.
    var nextDue: UInt64? { get }
    /// True when everything the capture had for the played side was sent.
    var isFinished: Bool { get }
    /// The next message due by `now`, if any (called until it returns nil), and when it became
    /// sendable because a live answer came (its captured gap was then waited).
    mutating func takeDue(now: UInt64, start: UInt64, rate: Double, answerTimeout: Duration,
                          noAnswer: (String) -> Void) -> (message: ScriptMessage, answeredAt: UInt64?)?
    /// A live message of the other side; false when the capture has nothing that answers it.
    mutating func receive(type: String?, name: String?, now: UInt64, rate: Double) -> Bool
}

func scaled(_ ns: UInt64, _ rate: Double) -> UInt64 { UInt64(Double(ns) / rate) }

/// A platform message's type and task name: what a live answer must match.
struct AnswerKind: Hashable {
    var type: String?
    var name: String?
}

/// Playing a device: each message goes out when the one before it did (plus the captured gap),
/// or, when it followed an answer in the capture, once the live platform sent that answer (the
/// n-th of its type and task name for the captured n-th) plus the captured gap.
struct DevicePlayback: Playback {
    private let messages: [ScriptMessage]
    private let scriptStart: UInt64
    /// For each platform message, which of its kind it was (0 for the first).
    private var ordinals: [Int: Int] = [:]
    private var cursor: Int
    private var lastSent: UInt64?
    /// When each kind of live answer arrived, in order.
    private var live: [AnswerKind: [UInt64]] = [:]
    private(set) var nextDue: UInt64? = 0

    init(messages: [ScriptMessage], scriptStart: UInt64) {
        self.messages = messages
        self.scriptStart = scriptStart
        var counts: [AnswerKind: Int] = [:]
        for (i, m) in messages.enumerated() where m.direction == .down {
            let kind = AnswerKind(type: m.type, name: m.name)
            ordinals[i] = counts[kind, default: 0]
            counts[kind, default: 0] += 1
        }
        cursor = messages.firstIndex { $0.direction == .up } ?? messages.count
    }

    var isFinished: Bool { cursor >= messages.count }

    mutating func takeDue(now: UInt64, start: UInt64, rate: Double, answerTimeout: Duration,
                          noAnswer: (String) -> Void) -> (message: ScriptMessage, answeredAt: UInt64?)? {
        guard !isFinished else { nextDue = nil; return nil }
        let m = messages[cursor]
        let due: UInt64
        var answeredAt: UInt64?
        if cursor == 0 {
            due = start + scaled(m.time &- scriptStart, rate)
        } else if messages[cursor - 1].direction == .up {
            due = (lastSent ?? start) + scaled(m.time &- messages[cursor - 1].time, rate)
        } else {
            let answer = messages[cursor - 1]
            let arrivals = live[AnswerKind(type: answer.type, name: answer.name), default: []]
            let n = ordinals[cursor - 1] ?? 0
            if n < arrivals.count {
                answeredAt = max(arrivals[n], lastSent ?? start)
                due = answeredAt! + scaled(m.time &- answer.time, rate)
            } else {
                // The wait counts from when the answer came in the capture (a platform may push
                // a download long after the device's poll).
                let before = messages[..<(cursor - 1)].last { $0.direction == .up }
                let expected = (lastSent ?? start) + scaled(answer.time &- (before?.time ?? scriptStart), rate)
                let deadline = expected + answerTimeout.nanoseconds
                guard now >= deadline else { nextDue = deadline; return nil }
                noAnswer("no live \(answer.type ?? "answer")\(answer.name.map { " for \($0)" } ?? "") within \(answerTimeout.seconds) s")
                // Taken as come now, so that the next wait counts the live ones that do come.
                live[AnswerKind(type: answer.type, name: answer.name), default: []].insert(now, at: min(n, arrivals.count))
                due = now
            }
        }
        guard now >= due else { nextDue = due; return nil }
        lastSent = now
        cursor = messages[(cursor + 1)...].firstIndex { $0.direction == .up } ?? messages.count
        nextDue = now
        return (m, answeredAt)
    }

    mutating func receive(type: String?, name: String?, now: UInt64, rate: Double) -> Bool {
        live[AnswerKind(type: type, name: name), default: []].append(now)
        nextDue = now
        return true
    }
}

/// Playing the platform: each live request gets the captured answers to the same request of the
/// device (same type and task name, the n-th for the n-th), after the captured delay; what the
/// platform sent a device before it said anything (pushed `download`s) goes out at its captured
/// offset from the start.
struct PlatformPlayback: Playback {
    struct Request: Hashable {
        var type: String?
        var name: String?
        var ordinal: Int
    }

    private var answers: [Request: [(message: ScriptMessage, delay: UInt64)]] = [:]
    /// Requests the capture has, answered or not.
    private var captured: Set<Request> = []
    private var seen: [Request: Int] = [:]
    private var pushes: [(message: ScriptMessage, offset: UInt64)] = []
    private var scheduled: [(at: UInt64, message: ScriptMessage, requestedAt: UInt64)] = []
    private var remaining: Int
    private(set) var nextDue: UInt64? = 0

    init(messages: [ScriptMessage], scriptStart: UInt64) {
        var ordinals: [Request: Int] = [:]
        var request: (Request, UInt64)?
        var downs = 0
        for m in messages {
            if m.direction == .up {
                let base = Request(type: m.type, name: m.name, ordinal: 0)
                let n = ordinals[base, default: 0]
                ordinals[base] = n + 1
                let r = Request(type: m.type, name: m.name, ordinal: n)
                captured.insert(r)
                request = (r, m.time)
                continue
            }
            downs += 1
            if request == nil {
                pushes.append((m, m.time &- scriptStart))
            } else if let (r, at) = request {
                answers[r, default: []].append((m, m.time &- at))
            }
        }
        remaining = downs
    }

    var isFinished: Bool { remaining == 0 && scheduled.isEmpty }

    mutating func takeDue(now: UInt64, start: UInt64, rate: Double, answerTimeout: Duration,
                          noAnswer: (String) -> Void) -> (message: ScriptMessage, answeredAt: UInt64?)? {
        if let i = pushes.firstIndex(where: { start + scaled($0.offset, rate) <= now }) {
            remaining -= 1
            return (pushes.remove(at: i).message, nil)
        }
        if let i = scheduled.firstIndex(where: { $0.at <= now }) {
            remaining -= 1
            let s = scheduled.remove(at: i)
            return (s.message, s.requestedAt)
        }
        nextDue = (pushes.map { start + scaled($0.offset, rate) } + scheduled.map(\.at)).min()
        return nil
    }

    mutating func receive(type: String?, name: String?, now: UInt64, rate: Double) -> Bool {
        let base = Request(type: type, name: name, ordinal: 0)
        let n = seen[base, default: 0]
        seen[base] = n + 1
        let r = Request(type: type, name: name, ordinal: n)
        for a in answers.removeValue(forKey: r) ?? [] { scheduled.append((now + scaled(a.delay, rate), a.message, now)) }
        nextDue = scheduled.map(\.at).min() ?? nextDue
        return captured.contains(r)
    }
}
