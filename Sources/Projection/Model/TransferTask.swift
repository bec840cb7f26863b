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
public struct TransferTask: Sendable, Equatable {
    public var id: Int64
    public var key: TaskKey
    /// 1 for a key's first attempt, then one more each time. `countedByStore` while the reducer
    /// does not know it (the key's earlier attempts left its memory): the store counts it when it
    /// first writes the row, as one more than the latest it holds of the key.
    public var attempt: Int
    public var state: TaskState
    public var size: Int64?
    public var md5sum: String?
    public var lastPercent: Int64?
    public var resultCode: Int64?
    public var resultMessage: String?
    public var failedBy: FailedBy?
    public var failReports = 0
    public var offers = 0
    public var progressReports = 0
    public var requestedAt: UInt64?
    public var offeredAt: UInt64?
    public var firstProgressAt: UInt64?
    public var lastEventAt: UInt64
    public var finishedAt: UInt64?
    /// Progress reports not yet answered by a `_rsp` (responses after the end still attach here).
    var pendingResponses = 0

    /// The `attempt` of a task whose number the store counts.
    public static let countedByStore = 0

    public init(id: Int64, key: TaskKey, attempt: Int, state: TaskState, at time: UInt64) {
        self.id = id
        self.key = key
        self.attempt = attempt
        self.state = state
        lastEventAt = time
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
