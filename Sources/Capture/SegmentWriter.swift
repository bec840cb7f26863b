import Dispatch
/// Writes one MCAP file: header, metadata, zstd chunks, and on `close()` the summary and footer.
final class SegmentWriter {
    private let sink: FileSink
    private let codec: ChunkCodec
    private let chunkSize: Int
    private var channels = ChannelTable()
    private var channelRecords: [MCAPChannel] = []
    private var chunk = OpenChunk()
    /// Channel records first used by the open chunk: written just before it, outside any chunk.
    private var newChannels = ByteWriter()
    private var tally = MessageTally()
    private var chunkIndexes: [MCAPChunkIndex] = []
    private var metadataIndexes: [(offset: UInt64, length: UInt64, name: String)] = []
    private var stats = MCAPStatistics()
    private(set) var rawBytes: UInt64 = 0
    private(set) var isClosed = false
    /// Chunks sealed and not yet written, oldest first, and the thread that compresses them.
    private var pending: [SealedChunk] = []
    private let compression = DispatchQueue(label: "restrace.chunk-compression")
    /// The buffer of a chunk written, for the next chunk to fill.
    private var spare: [UInt8]?

    /// When the first message of the file was received (ns), or nil while it is empty.
    var firstTime: UInt64? { tally.first }

    var path: String { sink.path }
    /// Bytes on disk plus the open chunk's uncompressed bytes: what the file will roughly hold.
    var approximateSize: UInt64 { sink.size + UInt64(chunk.byteCount) + pending.reduce(0) { $0 + UInt64($1.raw.count) } }
    var bytesOnDisk: UInt64 { sink.size }
    var messageCount: UInt64 { tally.count }
    /// Channel ids are 16-bit: a file holds at most this many channels, then the capture rotates.
    static let maximumChannels = Int(UInt16.max)
    var isFullOfChannels: Bool { channels.count >= Self.maximumChannels }

    init(path: String, codec: ChunkCodec, chunkSize: Int, library: String,
         metadata: [(name: String, values: [String: String])]) throws(CaptureError) {
        sink = try FileSink(creating: path)
        self.codec = codec
        self.chunkSize = chunkSize
        var w = ByteWriter()
        w.bytes = mcapMagic
        MCAPRecord.header(profile: "", library: library).encode(into: &w)
        for m in metadata {
            let offset = UInt64(w.bytes.count)
            MCAPRecord.metadata(name: m.name, values: m.values).encode(into: &w)
            metadataIndexes.append((offset, UInt64(w.bytes.count) - offset, m.name))
            stats.metadataCount += 1
        }
        do {
            try sink.write(w.bytes)
        } catch .diskFull {
            // Accepted: pending in the sink, written before anything else once there is room.
        }
    }

    /// True when every message given is in the file (no open chunk, nothing pending).
    var isAllOnDisk: Bool { chunk.isEmpty && pending.isEmpty && sink.isWritten }

    func write(_ m: CapturedMessage, sequence: UInt32) throws(CaptureError) {
        let id = m.topic.withUTF8Bytes { topic in
            channels.id(of: topic, qos: m.qos, retain: m.retain) ?? addChannel(topic, m)
        }
        m.payload.withUnsafeBufferPointer { chunk.append(channel: id, sequence: sequence, time: m.time, payload: $0) }
        tally.count(channel: id, time: m.time)
        if chunk.byteCount >= chunkSize {
            // Compressed on the compression thread while the next chunk fills: at most one waits.
            seal()
            try emit(keeping: 1)
        }
    }

    private func addChannel(_ topic: UnsafeBufferPointer<UInt8>, _ m: CapturedMessage) -> UInt16 {
        let id = channels.add(topic, qos: m.qos, retain: m.retain)
        let record = MCAPChannel(id: id, schemaID: 0, topic: m.topic, messageEncoding: "json",
                                 metadata: ["qos": String(m.qos), "retain": String(m.retain)])
        channelRecords.append(record)
        tally.addChannel()
        // Each channel is written once per file, in the data section outside the chunks, so a
        // corrupt chunk never hides the channels of later ones (and a fleet's thousands of
        // topics are not repeated in every chunk).
        MCAPRecord.channel(record).encode(into: &newChannels)
        return id
    }

    /// Compresses the open chunk and writes it, with every chunk sealed before it, so that a
    /// crash after this loses none of them.
    func flush() throws(CaptureError) {
        if chunk.isEmpty, pending.isEmpty { try sink.retry(); return }
        // The open chunk is compressed on this thread, which would otherwise wait for the
        // compression thread to finish the chunk before it.
        seal(compressingHere: true)
        try emit(keeping: 0)
    }

    /// Hands the open chunk to the compression thread (the writer goes on filling the next one),
    /// or compresses it at once.
    private func seal(compressingHere: Bool = false) {
        guard !chunk.isEmpty else { return }
        let start = chunk.start, end = chunk.end
        // A written chunk's buffer when there is one: a new one of several MiB costs a page
        // fault for every 4 KiB the writer fills.
        let size = chunk.byteCount
        let raw = chunk.take(reusing: spare.take() ?? [], capacity: min(chunkSize, size) + (1 << 16))
        let job = SealedChunk(raw: raw, channels: newChannels.bytes, start: start, end: end)
        newChannels.bytes.removeAll(keepingCapacity: true)
        let codec = self.codec
        if compressingHere { job.compress(with: codec) } else { compression.async { job.compress(with: codec) } }
        pending.append(job)
    }

    /// Writes the sealed chunks in order, waiting for their compression, until `keeping` are left.
    /// A full disk does not stop it: the sink keeps what it refused, in order, and `.diskFull` is
    /// thrown once every chunk due was handed to it (a summary must never overtake one).
    private func emit(keeping: Int) throws(CaptureError) {
        var full: CaptureError?
        while pending.count > keeping {
            let job = pending.removeFirst()
            job.done.wait()
            if let failure = job.failure { throw failure }
            let record = MCAPChunk(messageStartTime: job.start, messageEndTime: job.end, uncompressedSize: UInt64(job.raw.count),
                                   uncompressedCRC: job.crc, compression: codec.name, records: job.compressed[...])
            var w = ByteWriter(capacity: job.channels.count + job.compressed.count + 64)
            w.bytes.append(contentsOf: job.channels)
            let recordOffset = sink.size + UInt64(w.bytes.count)
            MCAPRecord.chunk(record).encode(into: &w)
            chunkIndexes.append(MCAPChunkIndex(
                messageStartTime: record.messageStartTime, messageEndTime: record.messageEndTime,
                chunkStartOffset: recordOffset, chunkLength: sink.size + UInt64(w.bytes.count) - recordOffset, messageIndexOffsets: [:],
                messageIndexLength: 0, compression: codec.name, compressedSize: UInt64(job.compressed.count),
                uncompressedSize: UInt64(job.raw.count)))
            rawBytes += UInt64(job.raw.count)
            if spare == nil { spare = job.takeRaw() }
            stats.chunkCount += 1
            do {
                try sink.write(w.bytes)
            } catch .diskFull(let path, let reason) {
                full = .diskFull(path: path, reason: reason)
            }
        }
        if let full { throw full }
    }

    /// Flushes, then writes DataEnd, the summary (channels, statistics, metadata and chunk
    /// indexes), the summary offsets, the footer and the closing magic.
    ///
    /// On a full disk it throws `.diskFull` with everything accepted: calling it again finishes.
    func close() throws(CaptureError) {
        guard !isClosed else {
            try sink.retry()
            sink.sync()
            sink.close()
            return
        }
        do {
            try flush()
        } catch .diskFull {
            // The chunk is pending in the sink; the summary follows it there.
        }
        isClosed = true
        var w = ByteWriter()
        MCAPRecord.dataEnd(dataSectionCRC: 0).encode(into: &w)
        let summaryStart = sink.size + UInt64(w.bytes.count)
        var groups: [(opcode: MCAPOpcode, start: UInt64, length: UInt64)] = []
        func group(_ opcode: MCAPOpcode, _ records: [MCAPRecord]) {
            guard !records.isEmpty else { return }
            let start = sink.size + UInt64(w.bytes.count)
            for r in records { r.encode(into: &w) }
            groups.append((opcode, start, sink.size + UInt64(w.bytes.count) - start))
        }
        stats.messageCount = tally.count
        stats.messageStartTime = tally.start
        stats.messageEndTime = tally.end
        stats.channelCount = UInt32(channelRecords.count)
        stats.channelMessageCounts = Dictionary(uniqueKeysWithValues: tally.perChannel.enumerated().map { (UInt16($0.offset + 1), $0.element) })
        group(.channel, channelRecords.map { .channel($0) })
        group(.statistics, [.statistics(stats)])
        group(.metadataIndex, metadataIndexes.map { .metadataIndex(offset: $0.offset, length: $0.length, name: $0.name) })
        group(.chunkIndex, chunkIndexes.map { .chunkIndex($0) })
        let summaryOffsetStart = sink.size + UInt64(w.bytes.count)
        for g in groups {
            MCAPRecord.summaryOffset(groupOpcode: g.opcode.rawValue, groupStart: g.start, groupLength: g.length).encode(into: &w)
        }
        var footer = ByteWriter()
        footer.u8(MCAPOpcode.footer.rawValue)
        footer.u64(20)
        footer.u64(summaryStart)
        footer.u64(summaryOffsetStart)
        w.bytes.append(contentsOf: footer.bytes)
        let summaryBytes = w.bytes[Int(summaryStart - sink.size)...]
        let crc = CRC32.checksum(summaryBytes)
        w.u32(crc)
        w.bytes.append(contentsOf: mcapMagic)
        try sink.write(w.bytes)
        sink.sync()
        sink.close()
    }
}

/// A chunk sealed for writing, compressed (and its CRC taken) on the compression thread.
final class SealedChunk: @unchecked Sendable {
    // @unchecked: `compressed`, `crc` and `failure` are set by `compress` before `done` is
    // signalled, and read only after waiting on it.
    private(set) var raw: [UInt8]
    let channels: [UInt8]
    let start: UInt64
    let end: UInt64
    var compressed: [UInt8] = []
    var crc: UInt32 = 0
    var failure: CaptureError?
    let done = DispatchSemaphore(value: 0)

    init(raw: [UInt8], channels: [UInt8], start: UInt64, end: UInt64) {
        self.raw = raw
        self.channels = channels
        self.start = start
        self.end = end
    }

    /// The uncompressed bytes' buffer, for reuse once written (`raw` is empty afterwards).
    func takeRaw() -> [UInt8] {
        var bytes: [UInt8] = []
        swap(&bytes, &raw)
        return bytes
    }

    func compress(with codec: ChunkCodec) {
        defer { done.signal() }
        crc = CRC32.checksum(raw)
        do { compressed = try codec.compress(raw) } catch { failure = error }
    }
}
