import Capture

/// Where the projection stopped: events consumed, and the position of the last one.
public struct Checkpoint: Sendable, Equatable {
    public var captureID: String
    /// The capture's row in `checkpoint` (1 in an SQLite file, which holds one capture). A
    /// PostgreSQL database holds several, each numbering its events, tasks and topics from
    /// `idBase` on, so that the tables hold all of them.
    public var slot: Int64 = 1
    /// Ids this capture's rows start after: `slot - 1` times `idSpan`.
    public var idBase: Int64 { Self.idBase(ofSlot: slot) }
    /// How many ids a capture has for its events (and for its tasks, and topics): 2^40.
    public static let idSpan: Int64 = 1 << 40

    static func idBase(ofSlot slot: Int64) -> Int64 { (slot - 1) * idSpan }

    /// `column` holds an id of the capture in row `slot`, in SQL.
    static func ownsID(_ column: String, slot: Int64) -> String {
        let base = idBase(ofSlot: slot)
        return "\(column) > \(base) AND \(column) <= \(base + idSpan)"
    }
    public var events: Int64 = 0
    public var position: CapturePosition?
    /// What was at `position` when it was committed (`CapturePosition.fingerprint`).
    public var fingerprint: UInt32?
    public var firstTime: UInt64?
    public var lastTime: UInt64?
    public var nextTaskID: Int64 = 1
    /// The time of the last message in capture order (`lastTime` is the latest of all).
    public var previousTime: UInt64?
    /// How often a message came with an earlier time than the one before it (the recorder's
    /// clock was set back), and the largest such step, ns.
    public var clockStepsBack: Int64 = 0
    public var largestStepBack: UInt64 = 0

    /// Counts `time` in: the span, and the clock's steps back.
    mutating func see(_ time: UInt64) {
        if firstTime == nil { firstTime = time }
        firstTime = min(firstTime!, time)
        lastTime = max(lastTime ?? time, time)
        if let previous = previousTime, time < previous {
            clockStepsBack += 1
            largestStepBack = max(largestStepBack, previous - time)
        }
        previousTime = time
    }
}
