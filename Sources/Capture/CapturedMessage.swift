#if canImport(Glibc)
import Glibc
#endif

/// One MQTT message as the capture holds it.
public struct CapturedMessage: Sendable, Equatable {
    /// When the recorder received it, ns since the Unix epoch (MCAP `log_time` and `publish_time`).
    public var time: UInt64
    public var topic: String
    public var qos: UInt8
    public var retain: Bool
    /// The payload byte for byte, whatever it contains.
    public var payload: [UInt8]

    public init(time: UInt64, topic: String, qos: UInt8 = 0, retain: Bool = false, payload: [UInt8]) {
        self.time = time
        self.topic = topic
        self.qos = qos
        self.retain = retain
        self.payload = payload
    }

    /// The channel of the recorder's own events (started, connected, disconnected, …).
    public static let recorderTopic = "restrace/recorder"

    /// True for the recorder's own events, false for traffic.
    public var isRecorderEvent: Bool { Self.isRecorderTopic(topic) }

    /// True for the recorder's own channel.
    public static func isRecorderTopic(_ topic: String) -> Bool { topic == recorderTopic }

    /// Equal byte for byte. Swift's `==` on strings treats canonically equivalent spellings (`é`
    /// and `e` + U+0301) as equal, but MQTT topics are distinct byte strings.
    public static func == (a: Self, b: Self) -> Bool {
        a.time == b.time && a.qos == b.qos && a.retain == b.retain && a.payload == b.payload
            && a.topic.hasSameUTF8(as: b.topic)
    }
}

/// Where a message lies in a capture: the file, the chunk's offset in it, and its index in the chunk.
public struct CapturePosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var file: String
    public var chunkOffset: UInt64
    public var index: Int

    public init(file: String, chunkOffset: UInt64, index: Int) {
        self.file = file
        self.chunkOffset = chunkOffset
        self.index = index
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.file, a.chunkOffset, a.index) < (b.file, b.chunkOffset, b.index)
    }

    /// `FILE@CHUNK_OFFSET#INDEX`.
    public var description: String { withText { String(decoding: $0, as: UTF8.self) } }

    /// Calls `body` with `description`'s UTF-8 bytes, written digit by digit into a temporary buffer
    /// (the projection stores one per message: string interpolation took 2–3 times as long, and
    /// a String per message cost an allocation).
    @inlinable public func withText<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        var file = file
        return try file.withUTF8 { name in
            try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: name.count + 42) { buf in
                var i = name.count
                _ = UnsafeMutableBufferPointer(rebasing: buf[0..<i]).initialize(fromContentsOf: name)
                buf[i] = UInt8(ascii: "@"); i += 1
                i += spellDecimal(chunkOffset, at: buf.baseAddress! + i)
                buf[i] = UInt8(ascii: "#"); i += 1
                i += spellDecimal(UInt64(max(0, index)), at: buf.baseAddress! + i)
                return try body(UnsafeBufferPointer(rebasing: buf[0..<i]))
            }
        }
    }
}

/// Writes `v` in decimal at `at` (room for 20 digits) and returns how many digits it took.
@inlinable public func spellDecimal(_ v: UInt64, at: UnsafeMutablePointer<UInt8>) -> Int {
    var digits = 1, rest = v / 10
    while rest > 0 { digits += 1; rest /= 10 }
    var v = v
    for k in stride(from: digits - 1, through: 0, by: -1) { at[k] = UInt8(48 + v % 10); v /= 10 }
    return digits
}

/// A message read back, with its capture-wide `sequence` and its position.
public struct CaptureEntry: Sendable, Equatable {
    public var message: CapturedMessage
    public var sequence: UInt32
    public var position: CapturePosition
    /// The MCAP channel the message came on, in its file: every message of a channel has its topic.
    public var channel: UInt16 = 0
}
