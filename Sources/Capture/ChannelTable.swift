#if canImport(Glibc)
import Glibc
#endif

/// The channels of the file being written, by topic bytes, QoS and retain flag: looked up for
/// every message a recorder writes, so without hashing or reference counting a `String`. Topics
/// are compared byte for byte: canonically equivalent spellings are different MQTT topics.
///
/// Open addressing over a contiguous copy of the topics. The hash is seeded at random per table,
/// so topics chosen to collide cannot be prepared in advance; a collision only costs probes.
struct ChannelTable {
    private struct Entry {
        var start: Int
        var count: Int
        var fold: UInt64
        var flags: UInt8
    }

    private var topics: [UInt8] = []
    private var entries: [Entry] = []
    /// Indexes into `entries`, or -1; a power of two long, at most half full.
    private var slots = [Int32](repeating: -1, count: 64)
    private let seed = UInt64.random(in: .min ... .max)

    var count: Int { entries.count }

    /// The channel id (1, 2, …, in the order added) of the topic, or nil.
    func id(of topic: UnsafeBufferPointer<UInt8>, qos: UInt8, retain: Bool) -> UInt16? {
        let flags = Self.flags(qos, retain)
        let fold = fold(topic, flags)
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: fold) & mask
        while true {
            let e = Int(slots[s])
            if e < 0 { return nil }
            let entry = entries[e]
            if entry.fold == fold, entry.flags == flags, entry.count == topic.count,
               topic.isEmpty || topics.withUnsafeBufferPointer({ memcmp($0.baseAddress! + entry.start, topic.baseAddress!, topic.count) == 0 }) {
                return UInt16(truncatingIfNeeded: e + 1)
            }
            s = (s + 1) & mask
        }
    }

    /// Adds a topic not in the table; returns its id.
    mutating func add(_ topic: UnsafeBufferPointer<UInt8>, qos: UInt8, retain: Bool) -> UInt16 {
        let flags = Self.flags(qos, retain)
        entries.append(Entry(start: topics.count, count: topic.count, fold: fold(topic, flags), flags: flags))
        topics.append(contentsOf: topic)
        if entries.count * 2 > slots.count { grow() } else { place(entries.count - 1) }
        return UInt16(truncatingIfNeeded: entries.count)
    }

    private static func flags(_ qos: UInt8, _ retain: Bool) -> UInt8 { qos << 1 | (retain ? 1 : 0) }

    private func fold(_ topic: UnsafeBufferPointer<UInt8>, _ flags: UInt8) -> UInt64 {
        UnsafeRawBufferPointer(topic).fold(into: seed ^ UInt64(flags))
    }

    private mutating func place(_ e: Int) {
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: entries[e].fold) & mask
        while slots[s] >= 0 { s = (s + 1) & mask }
        slots[s] = Int32(e)
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        for e in entries.indices { place(e) }
    }
}
