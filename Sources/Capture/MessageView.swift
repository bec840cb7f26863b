/// A message lent by a reader (`nextView`): its payload is read where it lies in the chunk just
/// decompressed, and the view is valid only during the call that lends it. Reading a message this
/// way costs no allocation and no reference counting; `entry` copies it out.
public struct MessageView {
    /// When the recorder received it, ns since the Unix epoch.
    public let time: UInt64
    public let sequence: UInt32
    /// The MCAP channel it came on, in its file.
    public let channel: UInt16
    /// Which of the reader's Channel records defined that channel.
    let definition: Int
    /// The payload, byte for byte: valid only during the call.
    public let payload: UnsafeBufferPointer<UInt8>
    public let chunkOffset: UInt64
    /// The message's index in its chunk.
    public let index: Int
    /// The reader lending it, which outlives the call (unowned: no reference count per message).
    unowned(unsafe) let reader: SegmentReader

    /// Identifies the channel among every file of the process: equal keys, same topic.
    public var channelKey: ChannelKey { ChannelKey(reader: reader.serial, definition: definition) }

    /// The channel's topic.
    public var topic: String { reader.channel(definition: definition).topic }

    public var position: CapturePosition { CapturePosition(file: reader.name, chunkOffset: chunkOffset, index: index) }

    /// The message copied out of the reader.
    public var entry: CaptureEntry {
        let c = reader.channel(definition: definition)
        return CaptureEntry(message: CapturedMessage(time: time, topic: c.topic, qos: c.qos, retain: c.retain, payload: Array(payload)),
                            sequence: sequence, position: position, channel: channel)
    }
}

/// A channel as defined in one file: `reader` numbers the files a process opens, so keys from
/// different files never collide although their channel ids do.
public struct ChannelKey: Hashable, Sendable {
    public let reader: Int
    /// The Channel record's number in that file.
    public let definition: Int
}
