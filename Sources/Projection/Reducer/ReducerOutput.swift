import ResourceProtocol

/// What the reducer changed since the last `drain()`: rows for the store to write.
public struct ReducerOutput: Sendable {
    public var events: [ProjectedEvent] = []
    /// Topics seen for the first time, for the `topics` table.
    public var topics: [TopicRow] = []
    public var anomalies: [Anomaly] = []
    public var recorderEvents: [RecorderEvent] = []
    /// Tasks created or changed, as they are now.
    public var tasks: [TransferTask] = []
    /// Devices seen, as they are now.
    public var devices: [DeviceStats] = []
    /// Traffic per second (second since the epoch → counts), to add to the `traffic` table.
    public var traffic: [Int64: Traffic] = [:]

    /// Where the new tasks start in `tasks` (in id order): those with an id from `newTasksFrom` on
    /// (the previous checkpoint's next task id); the ones before it changed.
    func firstNewTask(from newTasksFrom: Int64) -> Int { tasks.firstIndex { $0.id >= newTasksFrom } ?? tasks.endIndex }

    public var isEmpty: Bool { events.isEmpty && anomalies.isEmpty && recorderEvents.isEmpty && tasks.isEmpty }
}

/// Per-device counters of the `devices` table.
public struct DeviceStats: Sendable, Equatable {
    public var product: String
    public var device: String
    public var firstSeen: UInt64
    public var lastSeen: UInt64
    public var messages: Int64 = 0
    public var polls: Int64 = 0
    /// The last `get_download_task` not yet answered by an offer (the request of the next offer).
    public var pendingPoll: UInt64?

    /// Counts one more message from the device at `time`; with `poll`, a poll that the next
    /// download offer may answer.
    mutating func see(at time: UInt64, poll: Bool) {
        if poll {
            polls += 1
            pendingPoll = time
        } else {
            messages += 1
            lastSeen = max(lastSeen, time)
        }
    }
}

/// Messages, payload bytes, transferred bytes and tasks started and ended in one second.
public struct Traffic: Sendable, Equatable {
    /// Attempts started in this second (`started_at`), and done or failed in it (`finished_at`), per kind.
    public var started = PerKind()
    public var done = PerKind()
    public var failed = PerKind()
    public var upMessages: Int64 = 0
    public var downMessages: Int64 = 0
    public var upBytes: Int64 = 0
    public var downBytes: Int64 = 0
    /// size × percent progress reported in this second, per kind, in whole bytes (integers add up
    /// the same in any order, so batch boundaries never change a total).
    public var uploadBytes: Int64 = 0
    public var downloadBytes: Int64 = 0

    /// Counts one message sent in `direction` with a payload of `bytes`.
    mutating func count(_ direction: Direction, bytes: Int) {
        if direction == .up {
            upMessages += 1
            upBytes += Int64(bytes)
        } else {
            downMessages += 1
            downBytes += Int64(bytes)
        }
    }
}

/// A count for each kind of task (fields, not a dictionary: the reducer adds to them for most messages).
public struct PerKind: Sendable, Equatable {
    public var upload: Int64 = 0
    public var download: Int64 = 0

    public subscript(kind: TaskKind) -> Int64 {
        get { kind == .upload ? upload : download }
        set { if kind == .upload { upload = newValue } else { download = newValue } }
    }
}
