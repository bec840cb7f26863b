/// What `restrace simulate` generates: fleet size, time span, seed and fault rates.
public struct SimulationOptions: Sendable {
    public var devices = 20
    public var products = 2
    /// Simulated time span.
    public var duration: Duration = .seconds(600)
    public var seed: UInt64 = 1
    /// Time between two progress reports of a transferring device.
    public var progressInterval: Duration = .seconds(1)
    /// Simulated clock at the start, ns since the epoch.
    public var start: UInt64 = 1_795_680_000_000_000_000
    /// Share of transfers that fail on the device (-1 … -4, then the generic -1).
    public var failureRate = 0.1
    /// Share of transfers the platform rejects (non-zero `_rsp`), followed by the device's `fail -1`.
    public var rejectionRate = 0.03
    /// Share of transfers where the device goes silent mid-transfer for good.
    public var stallRate = 0.02
    /// Share of transfers where the device goes silent for 20–90 s, then goes on.
    public var pauseRate = 0.03
    /// Share of upload requests the platform never answers (the device retries after 10 s).
    public var unansweredRate = 0.02
    /// Share of uploads whose name has an unescaped quote (invalid JSON from the C SDK).
    public var malformedRate = 0.01
    /// Share of files over 43 MB, whose percent overflows in 32-bit arithmetic on the device.
    public var largeFileRate = 0.02
    /// Share of idle moments in which a device polls and no task is waiting.
    public var idlePollRate = 0.3
    /// Recorder blind windows to inject (disconnect, messages lost, reconnect), `--out` mode only.
    public var blindWindows = 0

    public init() {}

    /// Only successes: every fault rate zero.
    public mutating func disableFaults() {
        failureRate = 0; rejectionRate = 0; stallRate = 0; pauseRate = 0; unansweredRate = 0
        malformedRate = 0; largeFileRate = 0; blindWindows = 0
    }
}

/// What the simulator injected, so that tests and users can check the reports find exactly that.
public struct InjectedFaults: Sendable, Equatable, Codable {
    /// `kind/failed_by/result_code` → tasks, for failures whose root cause reached the capture.
    public var failures: [String: Int] = [:]
    /// Devices silent for good mid-transfer, at least 120 s before the end.
    public var stalls = 0
    /// Devices silent for good mid-transfer, less than 120 s before the end.
    public var recentStalls = 0
    public var pauses = 0
    public var unansweredRequests = 0
    public var malformedPayloads = 0
    public var percentOverflows = 0
    public var idlePolls = 0
    public var blindWindows = 0
    public var messagesLostInBlindWindows = 0
    public var transfersDone: [String: Int] = [:]
    public var messages = 0

    enum CodingKeys: String, CodingKey {
        case failures, stalls, pauses, messages
        case recentStalls = "recent_stalls", unansweredRequests = "unanswered_requests"
        case malformedPayloads = "malformed_payloads", percentOverflows = "percent_overflows", idlePolls = "idle_polls"
        case blindWindows = "blind_windows", messagesLostInBlindWindows = "messages_lost_in_blind_windows"
        case transfersDone = "transfers_done"
    }
}
