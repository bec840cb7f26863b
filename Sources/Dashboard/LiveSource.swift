import Broker
import Capture
import Foundation
import Projection

/// Where `top` gets its messages: a capture (followed as it grows, or played at a speed) or a
/// broker it subscribes to itself.
public protocol LiveSource: AnyObject {
    /// Feeds `tally` what has arrived, until `deadline` (a monotonic time in ns) at the latest;
    /// false when there was nothing (the caller may wait a little).
    @discardableResult
    func pump(into tally: inout LiveTally, until deadline: UInt64) -> Bool
    /// True when nothing more will ever come (a closed capture, played to its end without following).
    var ended: Bool { get }
    /// "Now" for the figures: nil for the latest message's time.
    var now: UInt64? { get }
    /// A problem to show (a file that cannot be read, a broker refusing us).
    var problem: String? { get }
    /// Feeds `tally` what is there now: all of a capture; from a broker, what comes in `seconds`.
    func catchUp(into tally: inout LiveTally, seconds: Double)
    /// A file that could not be opened (exit 1), and the damage met in the others (exit 3).
    var failure: CaptureError? { get }
    var damage: [CaptureError] { get }
}

extension LiveSource {
    public var failure: CaptureError? { nil }
    public var damage: [CaptureError] { [] }
}

/// A capture read as it is written; with a speed, played with its original spacing divided by it.
public final class CaptureLiveSource: LiveSource {
    let reader: CaptureReader
    let speed: Double?
    let follow: Bool
    private var held: CaptureEntry?
    private var startCapture: UInt64?
    private var startWall: UInt64 = 0
    public private(set) var ended = false
    public private(set) var now: UInt64?

    public init(paths: [String], follow: Bool, speed: Double?) throws {
        reader = try CaptureReader(paths: paths, follow: follow)
        self.speed = speed
        self.follow = follow
    }

    public var problem: String? { reader.failure.map { "\($0)" } ?? reader.problems.last.map { "\($0)" } }
    public var failure: CaptureError? { reader.failure }
    public var damage: [CaptureError] { reader.problems }

    public func catchUp(into tally: inout LiveTally, seconds: Double) { pump(into: &tally, until: .max) }

    @discardableResult
    public func pump(into tally: inout LiveTally, until deadline: UInt64) -> Bool {
        defer { tally.settle() }
        var n = 0
        guard let speed else {
            while reader.nextView({ tally.apply($0) }) != nil {
                n += 1
                if n % 4096 == 0, WallClock.monotonic() >= deadline { return true }
            }
            if !follow { ended = true }
            return n > 0
        }
        // Played: each message when its time has come, the clock of the figures moving with it.
        while true {
            if held == nil { held = reader.next() }
            let wall = WallClock.monotonic()
            guard let entry = held else {
                if !follow { ended = true }
                if let s = startCapture { now = s + UInt64(Double(wall - startWall) * speed) }
                return n > 0
            }
            if startCapture == nil { startCapture = entry.message.time; startWall = wall }
            let due = startWall + UInt64(Double(entry.message.time &- startCapture!) / speed)
            now = startCapture! + UInt64(Double(max(startWall, min(wall, deadline)) - startWall) * speed)
            if due > deadline { return true }
            if due > wall { usleep(useconds_t(min(100_000, (due - wall) / 1000))); continue }
            tally.apply(entry)
            n += 1
            held = nil
        }
    }
}

/// A broker subscribed to directly: nothing is recorded.
public final class BrokerLiveSource: LiveSource {
    let session: MosquittoSession
    public private(set) var problem: String?
    public var ended: Bool { false }
    public var now: UInt64? { WallClock.now() }

    public func catchUp(into tally: inout LiveTally, seconds: Double) {
        pump(into: &tally, until: WallClock.monotonic() + UInt64(seconds * 1e9))
    }

    public init(broker: BrokerURL, options: SessionOptions, filters: [String]) throws {
        session = try MosquittoSession(broker: broker, options: options)
        try session.connect(giveUpAfter: nil)
        try session.subscribe(filters, qos: 1)
    }

    @discardableResult
    public func pump(into tally: inout LiveTally, until deadline: UInt64) -> Bool {
        defer { tally.settle() }
        var any = false
        while true {
            let left = (Double(deadline) - Double(WallClock.monotonic())) / 1e9
            for e in session.events(timeout: max(0, min(left, 0.2))) {
                any = true
                switch e {
                case .message(let m): tally.apply(topic: m.topic, payload: m.payload, time: m.time)
                case .connected: tally.connection(true, at: WallClock.now()); problem = nil
                case .disconnected(let reason): tally.connection(false, at: WallClock.now()); problem = "disconnected: \(reason)"
                case .connectFailed(let reason, _): tally.connection(false, at: WallClock.now()); problem = "cannot connect: \(reason)"
                case .subscribed: break
                }
            }
            if left <= 0 { return any }
        }
    }

    deinit { session.disconnect() }
}
