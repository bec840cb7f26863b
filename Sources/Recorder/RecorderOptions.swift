import Broker
import Capture

/// Everything `restrace record` is told.
public struct RecorderOptions: Sendable {
    public var broker: BrokerURL
    public var session = SessionOptions()
    /// Topic filters; `$resource/#` by default (`#` alone does not match topics starting with `$`).
    public var filters = ["$resource/#"]
    public var qos = 1
    /// Subscribe as `$share/GROUP/filter`, so several recorders split the traffic.
    public var shareGroup: String?
    /// The open chunk is written at least this often.
    public var flushInterval: Duration = .seconds(1)
    public var writer = CaptureWriter.Options()
    /// Stop after this long.
    public var duration: Duration?
    /// Stop after this many messages.
    public var maxMessages: UInt64?
    /// Give up (exit 1) after this long without a connection.
    public var giveUpAfter: Duration?
    /// Replace the query string of every `url` with REDACTED.
    public var redactURLs = false
    /// The oldest closed segments are deleted once the capture is over these (checked each minute).
    public var retention = CaptureRetention.Limits()
    /// Bytes of the journal that keeps what arrived until it is on disk (0: no journal).
    public var journalBytes = CaptureJournal.defaultCapacity
    /// Rewrite each closed segment for the archive in the background (`CaptureCompaction`).
    public var compactClosed = false

    public init(broker: BrokerURL) { self.broker = broker }

    /// The filters as subscribed.
    public var subscriptions: [String] {
        guard let g = shareGroup else { return filters }
        return filters.map { "$share/\(g)/\($0)" }
    }
}

/// What the recorder reports on its status line and at the end.
public struct RecorderStatus: Sendable {
    public var messages: UInt64 = 0
    public var messagesPerSecond: Double = 0
    public var devices = 0
    public var bytesWritten: UInt64 = 0
    public var rawBytes: UInt64 = 0
    public var connected = false
    public var disconnects = 0
    public var seconds: Double = 0

    public var compressionRatio: Double { bytesWritten > 0 ? Double(rawBytes) / Double(bytesWritten) : 0 }
}
