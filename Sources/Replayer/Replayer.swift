import Broker
import Capture
import Foundation

/// Publishes a capture's messages on an absolute schedule: message i is due at
/// start + (t_i − t_0) / rate, so errors never accumulate.
public final class Replayer {
    private let paths: [String]
    private let options: ReplayOptions
    private let clock: @Sendable () -> UInt64

    public init(paths: [String], options: ReplayOptions, clock: @escaping @Sendable () -> UInt64 = WallClock.monotonic) {
        self.paths = paths
        self.options = options
        self.clock = clock
    }

    /// Replays through `publish`; `shouldStop` is checked before each message.
    ///   - paced: wait for each message's due time (false for a dry run, which only prints the schedule).
    public func run(paced: Bool = true, publish: (ReplayMessage) throws -> Void, shouldStop: () -> Bool = { false },
                    progress: (Int, ReplayMessage) -> Void = { _, _ in }) throws -> ReplaySummary {
        var summary = ReplaySummary()
        let started = Date()
        var lateness: [Double] = []
        loops: for loop in 0..<max(1, options.loops) {
            let reader = try CaptureReader(paths: paths, since: options.filter.since)
            var first: UInt64?
            var start: UInt64 = 0
            // Per channel: whether its topic is selected, the topic it is published on, and its
            // QoS and retain flag; worked out once, not for every message.
            var channels = ChannelCache<(selected: Bool, topic: String, qos: Int, retain: Bool)>(captures: paths.count)
            // Each message lent by the reader and published from where it lies: no copy.
            while let step = try reader.nextView({ v throws -> Step in
                if let until = options.filter.until, v.time > until, paths.count == 1 { return .stop }
                let channel = channels.value(for: v) {
                    let entry = v.entry.message
                    return (options.filter.matches(topic: entry.topic) && !entry.isRecorderEvent, options.address(entry.topic),
                            options.qos ?? Int(entry.qos), entry.retain)
                }
                guard channel.selected, options.filter.matches(time: v.time), options.filter.matches(payload: v.payload) else {
                    if loop == 0 { summary.skipped += 1 }
                    return .next
                }
                if shouldStop() { return .interrupted }
                if first == nil { first = v.time; start = clock() }
                let offset = UInt64(Double(v.time &- first!) / (options.maxRate ? .infinity : options.rate))
                let message = ReplayMessage(due: offset, loop: loop, originalTime: v.time, topic: channel.topic,
                                            payload: v.payload, qos: channel.qos, retain: channel.retain)
                if paced, !options.maxRate, !Self.wait(until: start + offset, clock: clock, shouldStop: shouldStop) {
                    return .interrupted
                }
                do {
                    try publish(message)
                    summary.published += 1
                } catch {
                    if shouldStop() { return .interrupted }
                    summary.failed += 1
                    if summary.firstFailure == nil { summary.firstFailure = "\(error)" }
                    if case BrokerError.stalled = error { summary.abortedBecause = "\(error)"; return .aborted }
                }
                if paced, !options.maxRate { lateness.append(Double(clock() &- (start + offset)) / 1e6) }
                progress(summary.published, message)
                return .next
            }) {
                switch step {
                case .next: continue
                case .stop: break
                case .interrupted: summary.interrupted = true; break loops
                case .aborted: break loops
                }
                break
            }
            if let failure = reader.failure { throw failure }
            if loop == 0 { summary.captureProblems = reader.problems.map(\.description) }
        }
        lateness.sort()
        if !lateness.isEmpty {
            summary.latenessP50 = lateness[lateness.count / 2]
            summary.latenessP99 = lateness[min(lateness.count - 1, Int(Double(lateness.count) * 0.99))]
            summary.latenessMax = lateness.last!
        }
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    /// What the replay does after a message.
    private enum Step { case next, stop, interrupted, aborted }

    /// Sleeps until shortly before `due`, then yields until it comes: sub-millisecond lateness
    /// without burning a core on long gaps. Sleeps at most 50 ms at a time, so that a stop request
    /// in a long gap of the capture is seen at once; returns false if one came.
    static func wait(until due: UInt64, clock: () -> UInt64, shouldStop: () -> Bool = { false }) -> Bool {
        while true {
            let now = clock()
            guard now < due else { return true }
            let left = due - now
            if left > 2_000_000 {
                if shouldStop() { return false }
                let nap = min(left - 1_000_000, 50_000_000)
                var ts = timespec(tv_sec: 0, tv_nsec: Int(nap))
                nanosleep(&ts, nil)
            } else {
                sched_yield()
            }
        }
    }
}
