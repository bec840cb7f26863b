/// One task attempt's conversation, as `diff` compares it: the platform's answers, the device's
/// messages, and how the attempt ended.
public struct Conversation: Sendable {
    /// What matches a task in two captures.
    public struct Key: Hashable, Sendable, Comparable, CustomStringConvertible {
        public var kind: String
        public var product: String
        public var device: String
        public var name: String
        public var attempt: Int

        public static func < (a: Key, b: Key) -> Bool {
            (a.product, a.device, a.kind, a.name, a.attempt) < (b.product, b.device, b.kind, b.name, b.attempt)
        }

        /// `upload P/D name #2`, as JUnit test cases are named.
        public var description: String { "\(kind) \(product)/\(device) \(name) #\(attempt)" }
    }

    /// A message of the platform, with the fields that are compared.
    public struct Answer: Sendable {
        public var type: String
        /// `result_code`, `result_msg`, `size`, `md5sum`, `name`, `version`, and the `url` without
        /// its query (a signature that differs on every run), where present.
        public var fields: [String: String]
        /// How long after the device's message before it (in the same task) it came, ns.
        public var delay: UInt64?
        public var position: String
    }

    public var key: Key
    public var answers: [Answer] = []
    /// The device's message types, in order.
    public var deviceTypes: [String] = []
    /// The device's progress states, consecutive repeats collapsed.
    public var deviceStates: [String] = []
    public var lastPercent: Int64?
    public var failResultCode: Int64?
    /// Positions of the device's messages (where a difference in them shows).
    public var devicePositions: [String] = []
    public var state: String
    public var failedBy: String?
    public var resultCode: Int64?
    public var startedAt: UInt64
    /// The position of the attempt's last message.
    public var lastPosition: String?

    /// Answer fields compared, in the order differences are listed.
    public static let answerFields = ["result_code", "result_msg", "size", "md5sum", "name", "version", "url"]
}
