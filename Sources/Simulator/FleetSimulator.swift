/// The whole fleet: every device's sessions merged in time order, cut at the end of the duration.
///
/// Deterministic: the same options give the same messages, byte for byte.
public struct FleetSimulator: Sequence, IteratorProtocol {
    public let options: SimulationOptions
    public internal(set) var injected = InjectedFaults()
    private var devices: [DeviceSimulator]
    private var queues: [[SimulatedMessage]]
    private var cursors: [Int]
    private var heap: [(time: UInt64, device: Int)] = []
    private var end: UInt64 { options.start + options.duration.nanoseconds }
    /// A device silent for good is reported stalled when its silence is at least this long at the end.
    public static let stallThreshold: UInt64 = 120_000_000_000

    public init(options: SimulationOptions) {
        self.options = options
        devices = (0..<options.devices).map { DeviceSimulator(index: $0, options: options) }
        queues = Array(repeating: [], count: options.devices)
        cursors = Array(repeating: 0, count: options.devices)
        for i in devices.indices { refill(i) }
    }

    private mutating func refill(_ i: Int) {
        while cursors[i] >= queues[i].count {
            guard devices[i].clock < end else { return }
            queues[i] = devices[i].nextSession().sorted { $0.time < $1.time }
            cursors[i] = 0
            if queues[i].isEmpty { return }
        }
        push((queues[i][cursors[i]].time, i))
    }

    public mutating func next() -> SimulatedMessage? {
        // A loop, not a recursion: at the end of a large fleet's run, millions of messages past
        // the end are skipped in a row (200 000 devices overflowed the stack).
        while let top = pop() {
            let m = queues[top.device][cursors[top.device]]
            cursors[top.device] += 1
            refill(top.device)
            guard m.time < end else { continue }
            count(m)
            return m
        }
        return nil
    }

    private mutating func count(_ m: SimulatedMessage) { tally(m, by: 1) }

    /// Counts messages dropped on purpose (a blind window) so `injected` stays true.
    mutating func uncount(_ m: SimulatedMessage) {
        tally(m, by: -1)
        injected.messagesLostInBlindWindows += 1
        injected.failures = injected.failures.filter { $0.value != 0 }
        injected.transfersDone = injected.transfersDone.filter { $0.value != 0 }
    }

    /// Adds `delta` to the counters of what `m` injects.
    private mutating func tally(_ m: SimulatedMessage, by delta: Int) {
        injected.messages += delta
        switch m.fault {
        case .failure(let key)?: injected.failures[key, default: 0] += delta
        case .stall?:
            if m.time + Self.stallThreshold <= end { injected.stalls += delta } else { injected.recentStalls += delta }
        case .pause?: injected.pauses += delta
        case .unanswered?: injected.unansweredRequests += delta
        case .malformed?: injected.malformedPayloads += delta
        case .overflow?: injected.percentOverflows += delta
        case .idlePoll?: injected.idlePolls += delta
        case .done(let kind)?: injected.transfersDone[kind, default: 0] += delta
        case nil: break
        }
    }

    // A binary min-heap on (time, device): ties go to the lower device index, so order is total.
    private mutating func push(_ e: (time: UInt64, device: Int)) {
        heap.append(e)
        var i = heap.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard less(heap[i], heap[p]) else { break }
            heap.swapAt(i, p)
            i = p
        }
    }

    private mutating func pop() -> (time: UInt64, device: Int)? {
        guard !heap.isEmpty else { return nil }
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count, less(heap[l], heap[m]) { m = l }
                if r < heap.count, less(heap[r], heap[m]) { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
        return top
    }

    private func less(_ a: (time: UInt64, device: Int), _ b: (time: UInt64, device: Int)) -> Bool {
        (a.time, a.device) < (b.time, b.device)
    }
}
