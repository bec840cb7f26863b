import Capture

/// upload or download.
public enum TaskKind: String, Sendable, Hashable, CaseIterable, Codable {
    case upload, download
}

/// The state of a task attempt (docs/protocol.md). `stalled` is not a state: reports compute it.
public enum TaskState: String, Sendable, Hashable, CaseIterable, Codable {
    case requested, offered, transferring, done, failed, superseded

    public var isOpen: Bool { self == .requested || self == .offered || self == .transferring }
}

/// Who failed a task: the device (a `fail` report) or the platform (a non-zero `_rsp`).
public enum FailedBy: String, Sendable, Hashable, Codable {
    case device, platform
}

/// What identifies a transfer; each new request or offer for it is a new attempt. Product, device
/// and name are compared byte for byte, as the store's unique index compares them.
public struct TaskKey: Sendable, Hashable {
    public let product: String
    public let device: String
    public let kind: TaskKind
    public let name: String
    /// The key's bytes folded into a word once, when it is made: the reducer looks a key up in
    /// several dictionaries, and hashing its three strings each time was most of a lookup.
    let fold: UInt64

    public init(product: String, device: String, kind: TaskKind, name: String) {
        self.product = product
        self.device = device
        self.kind = kind
        self.name = name
        fold = name.foldUTF8(into: device.foldUTF8(into: product.foldUTF8(into: kind == .upload ? 0x5555_5555_5555_5555 : 0xAAAA_AAAA_AAAA_AAAA)))
    }

    public static func == (a: TaskKey, b: TaskKey) -> Bool {
        a.fold == b.fold && a.kind == b.kind && a.name.hasSameUTF8(as: b.name) && a.device.hasSameUTF8(as: b.device)
            && a.product.hasSameUTF8(as: b.product)
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(fold) }
}

/// One attempt at one transfer, as the `tasks` table holds it (times in ns since the epoch).
///
/// Laid out small, because the reducer holds every open task and those ended in the last minutes
/// (some 200 000 for a fleet of 110 000 devices): the optional numbers are kept as plain numbers
/// with one bit each saying whether they are there, and the counters in 32 bits (clamped). That
/// is 192 bytes a task where fourteen optionals and 64-bit counters took 280.
public struct TransferTask: Sendable, Equatable {
    public var id: Int64
    public var key: TaskKey
    public var md5sum: String?
    public var resultMessage: String?
    private var times = Times()
    public var lastEventAt: UInt64
    private var numbers = Numbers()
    private var counts = Counts()
    /// Which of the optional numbers are there (`Present`).
    private var present = PresenceBits()
    public var state: TaskState
    public var failedBy: FailedBy?

    private struct Times: Sendable, Equatable { var requested: UInt64 = 0, offered: UInt64 = 0, firstProgress: UInt64 = 0, finished: UInt64 = 0 }
    private struct Numbers: Sendable, Equatable { var size: Int64 = 0, lastPercent: Int64 = 0, resultCode: Int64 = 0 }
    private struct Counts: Sendable, Equatable {
        var attempt: Int32 = 0, failReports: Int32 = 0, offers: Int32 = 0, progressReports: Int32 = 0, pendingResponses: Int32 = 0
    }

    private enum Present {
        static let size: UInt8 = 1, lastPercent: UInt8 = 2, resultCode: UInt8 = 4
        static let requested: UInt8 = 8, offered: UInt8 = 16, firstProgress: UInt8 = 32, finished: UInt8 = 64
    }

    /// 1 for a key's first attempt, then one more each time. `countedByStore` while the reducer
    /// does not know it (the key's earlier attempts left its memory): the store counts it when it
    /// first writes the row, as one more than the latest it holds of the key.
    public var attempt: Int {
        get { Int(counts.attempt) }
        set { counts.attempt = Int32(clamping: newValue) }
    }
    public var size: Int64? {
        get { present.read(numbers.size, Present.size) }
        set { present.write(newValue, to: &numbers.size, Present.size) }
    }
    public var lastPercent: Int64? {
        get { present.read(numbers.lastPercent, Present.lastPercent) }
        set { present.write(newValue, to: &numbers.lastPercent, Present.lastPercent) }
    }
    public var resultCode: Int64? {
        get { present.read(numbers.resultCode, Present.resultCode) }
        set { present.write(newValue, to: &numbers.resultCode, Present.resultCode) }
    }
    public var failReports: Int {
        get { Int(counts.failReports) }
        set { counts.failReports = Int32(clamping: newValue) }
    }
    public var offers: Int {
        get { Int(counts.offers) }
        set { counts.offers = Int32(clamping: newValue) }
    }
    public var progressReports: Int {
        get { Int(counts.progressReports) }
        set { counts.progressReports = Int32(clamping: newValue) }
    }
    public var requestedAt: UInt64? {
        get { present.read(times.requested, Present.requested) }
        set { present.write(newValue, to: &times.requested, Present.requested) }
    }
    public var offeredAt: UInt64? {
        get { present.read(times.offered, Present.offered) }
        set { present.write(newValue, to: &times.offered, Present.offered) }
    }
    public var firstProgressAt: UInt64? {
        get { present.read(times.firstProgress, Present.firstProgress) }
        set { present.write(newValue, to: &times.firstProgress, Present.firstProgress) }
    }
    public var finishedAt: UInt64? {
        get { present.read(times.finished, Present.finished) }
        set { present.write(newValue, to: &times.finished, Present.finished) }
    }
    /// Progress reports not yet answered by a `_rsp` (responses after the end still attach here).
    var pendingResponses: Int {
        get { Int(counts.pendingResponses) }
        set { counts.pendingResponses = Int32(clamping: newValue) }
    }

    /// The `attempt` of a task whose number the store counts.
    public static let countedByStore = 0

    public init(id: Int64, key: TaskKey, attempt: Int, state: TaskState, at time: UInt64) {
        self.id = id
        self.key = key
        self.state = state
        lastEventAt = time
        self.attempt = attempt
    }

    /// Seconds from the start (request, else offer) to the end, for finished tasks.
    /// When the attempt started: its request, else its offer (the `started_at` column).
    public var startedAt: UInt64 { requestedAt ?? offeredAt ?? lastEventAt }

    public var durationSeconds: Double? {
        guard let end = finishedAt, let start = requestedAt ?? offeredAt, end >= start else { return nil }
        return Double(end - start) / 1e9
    }

    /// Effective transfer rate of a successful task: size over the time from first progress to done.
    public var bytesPerSecond: Double? {
        guard state == .done, let size, let end = finishedAt, let start = firstProgressAt ?? offeredAt, end > start else { return nil }
        return Double(size) / (Double(end - start) / 1e9)
    }
}
