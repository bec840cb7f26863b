/// The chunk a segment writer is filling: its message records and the span of their receive
/// times. One value, changed once per message (each stored property of a class that a message
/// touches costs it an exclusivity check).
struct OpenChunk {
    var records = ByteWriter(capacity: 1 << 16)
    /// The earliest and latest receive times (ns); `start` is `.max` while the chunk is empty.
    private(set) var start: UInt64 = .max
    private(set) var end: UInt64 = 0

    var isEmpty: Bool { records.bytes.isEmpty }
    var byteCount: Int { records.bytes.count }

    mutating func append(channel: UInt16, sequence: UInt32, time: UInt64, payload: UnsafeBufferPointer<UInt8>) {
        MCAPRecord.encodeMessage(channelID: channel, sequence: sequence, time: time, payload: payload, into: &records)
        start = min(start, time)
        end = max(end, time)
    }

    /// Hands over the records and starts an empty chunk in `buffer` (emptied, its room kept),
    /// with room for `capacity` bytes.
    mutating func take(reusing buffer: [UInt8], capacity: Int) -> [UInt8] {
        var next = buffer
        next.removeAll(keepingCapacity: true)
        next.reserveCapacity(capacity)
        let taken = records.bytes
        records.bytes = next
        start = .max
        end = 0
        return taken
    }
}

/// What a file's messages add up to, for its statistics record: counted once per message.
struct MessageTally {
    private(set) var count: UInt64 = 0
    /// The first message's receive time, nil while there is none.
    private(set) var first: UInt64?
    private(set) var start: UInt64 = 0
    private(set) var end: UInt64 = 0
    /// Messages by channel id − 1.
    private(set) var perChannel: [UInt64] = []

    mutating func addChannel() { perChannel.append(0) }

    mutating func count(channel: UInt16, time: UInt64) {
        if first == nil { first = time; start = time }
        start = min(start, time)
        end = max(end, time)
        count += 1
        perChannel[Int(channel) - 1] += 1
    }
}
