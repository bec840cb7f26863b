#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Streams the messages of one MCAP file in order, chunk by chunk, checking each chunk's CRC.
///
/// It reads closed files, files still being written, and files cut short by a crash: it stops
/// cleanly at the last intact record. Memory stays bounded by one chunk. Problems (corrupt chunks,
/// a torn tail) are collected in `problems`; a corrupt chunk is skipped, never returned altered.
public final class SegmentReader {
    public let path: String
    /// Shown in errors: the file's name.
    public let name: String
    /// Numbers the readers a process opens (`ChannelKey`).
    let serial = SegmentReader.opened.add(1, ordering: .relaxed).newValue
    private static let opened = Atomic<Int>(0)
    private var fd: Int32 = -1
    private var lexer = MCAPLexer()
    private var readOffset: UInt64 = 0
    /// Where `pread` puts the next 256 KiB (reused, so reading does not allocate).
    private var block = [UInt8](repeating: 0, count: 1 << 18)
    /// Every Channel record read, in order, and the latest for each channel id: a message refers to
    /// the definition its channel had when it was read, even if a later record redefines the id.
    private var definitions: [Channel] = []
    @exclusivity(unchecked) private var channels: [UInt16: Int] = [:]
    /// The records of the chunk being read (or the content of a message outside chunks), which
    /// `pending` points into: a message is lent from here (`nextView`), not copied out.
    @exclusivity(unchecked) private var chunk: [UInt8] = []
    @exclusivity(unchecked) private var chunkOffset: UInt64 = 0
    /// The current chunk's messages not yet returned. Touched for every message, by this reader's
    /// one thread: no run-time exclusivity check (it cost four checks per message).
    @exclusivity(unchecked) private var pending: [PendingMessage] = []
    @exclusivity(unchecked) private var pendingIndex = 0
    private var resume: (chunkOffset: UInt64, index: Int)?
    /// Problems met so far, in file order.
    public private(set) var problems: [CaptureError] = []
    /// True once the data section's end (DataEnd) was read: the file was closed cleanly.
    public private(set) var reachedDataEnd = false
    /// True once the file can yield nothing more (DataEnd, an unrecoverable error, or `finish()`).
    public private(set) var isFinished = false
    /// Messages returned so far.
    @exclusivity(unchecked) public private(set) var messagesRead: UInt64 = 0
    /// Offset just past the last intact record read.
    public var intactLength: UInt64 { lexer.offset }
    public private(set) var chunksRead = 0
    public private(set) var compressedBytesRead: UInt64 = 0
    public private(set) var rawBytesRead: UInt64 = 0
    public private(set) var metadata: [String: [String: String]] = [:]

    /// Opens `path`. With `resumeAt`, messages before that position are skipped; with `since`,
    /// chunks that end before that time may be skipped. In a closed file both seek through the
    /// summary's chunk indexes without decompressing earlier chunks.
    public init(path: String, resumeAt: (chunkOffset: UInt64, index: Int)? = nil, since: UInt64? = nil) throws(CaptureError) {
        self.path = path
        name = String(path.split(separator: "/").last ?? Substring(path))
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw .io(path: path, reason: "cannot open: \(String(cString: strerror(errno)))") }
        resume = resumeAt
        guard resumeAt != nil || since != nil, let summary = try? FileSummary.read(path) else { return }
        for c in summary.channels { define(c) }
        var start = resumeAt?.chunkOffset ?? 0
        if let since {
            let first = summary.chunkIndexes.first { $0.messageEndTime >= since }?.chunkStartOffset
            start = max(start, first ?? summary.summaryStart)
        }
        guard start > 8 else { return }
        lexer = MCAPLexer(offset: start, expectMagic: false)
        readOffset = start
        seeked = true
    }

    /// True when the reader started past the file's beginning using its summary.
    public private(set) var seeked = false

    deinit { if fd >= 0 { close(fd) } }

    /// The next message, or nil when the file has nothing more for now. A file still being written
    /// may yield more later; call `finish()` once no more bytes will come to record a torn tail.
    public func next() -> CaptureEntry? { nextView { $0.entry } }

    /// Calls `body` with the next message, lent where it lies in the chunk just read (valid only
    /// during the call), and returns what `body` returns; nil when the file has nothing more for now.
    public func nextView<R>(_ body: (MessageView) throws -> R) rethrows -> R? {
        guard let time = peekTime() else { return nil }
        let m = pending[pendingIndex]
        pendingIndex += 1
        messagesRead += 1
        return try chunk.withUnsafeBufferPointer { bytes in
            try body(MessageView(time: time, sequence: m.sequence, channel: m.channel, definition: m.definition,
                                 payload: UnsafeBufferPointer(rebasing: bytes[m.start..<m.end]),
                                 chunkOffset: chunkOffset, index: m.index, reader: self))
        }
    }

    /// The time of the next message, reading on to it if needed; nil when there is none for now.
    public func peekTime() -> UInt64? {
        while pendingIndex == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingIndex = 0
            if isFinished { return nil }
            do {
                guard let record = try nextRecord() else { return nil }
                handle(record)
            } catch {
                problems.append(error.inFile(name))
                isFinished = true
                return nil
            }
        }
        return pending[pendingIndex].time
    }

    /// A channel as one of its Channel records defined it (`MessageView.definition`).
    func channel(definition: Int) -> Channel { definitions[definition] }

    private func define(_ c: MCAPChannel) {
        channels[c.id] = definitions.count
        definitions.append(Channel(c))
    }

    /// Declares that no more bytes will be appended: a partial record left now is a torn tail.
    /// A file that ends cleanly between records but has no summary (a crash right after a flush,
    /// or a file still being recorded) loses nothing and is not a problem here; `verify` reports it.
    public func finish() {
        guard !isFinished else { return }
        isFinished = true
        let pendingBytes = UInt64(lexer.pendingBytes)
        guard pendingBytes > 0 || lexer.offset < 8 else { return }
        let needed = lexer.bytesNeeded
        problems.append(.truncated(file: name, offset: lexer.offset, missing: needed > pendingBytes ? needed - pendingBytes : 0))
    }

    /// Once the file is finished, lets go of what reading it needed (its last chunk, the read
    /// buffer, its channels) and closes it; its counts, metadata and problems stay. A capture of
    /// thousands of files is read with one file's buffers, not all of theirs.
    func releaseBuffers() {
        guard isFinished else { return }
        chunk = []
        pending = []
        pendingIndex = 0
        block = []
        definitions = []
        channels = [:]
        lexer = MCAPLexer(offset: lexer.offset, expectMagic: false)
        if fd >= 0 { close(fd) }
        fd = -1
    }

    private func nextRecord() throws(CaptureError) -> MCAPLexer.RawRecord? {
        while true {
            if let r = try lexer.next() { return r }
            let n = block.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(readOffset)) }
            if n < 0 { throw .io(path: path, reason: "read failed: \(String(cString: strerror(errno)))") }
            if n == 0 { return nil }
            readOffset += UInt64(n)
            lexer.append(block[0..<n])
        }
    }

    private func handle(_ raw: MCAPLexer.RawRecord) {
        switch raw.opcode {
        case MCAPOpcode.chunk.rawValue:
            readChunk(raw)
        case MCAPOpcode.message.rawValue:
            // A message outside chunks: its content becomes the "chunk" it is lent from.
            chunk = Array(raw.content)
            chunkOffset = raw.offset
            if !scanMessage(at: 0..<chunk.count, index: 0) {
                problems.append(.corruptRecord(file: name, offset: raw.offset, reason: "message record too short (\(chunk.count) bytes)"))
            }
        case MCAPOpcode.channel.rawValue, MCAPOpcode.metadata.rawValue:
            if let r = parse(raw) { take(r) }
        case MCAPOpcode.dataEnd.rawValue:
            reachedDataEnd = true
            isFinished = true
        case MCAPOpcode.footer.rawValue:
            isFinished = true
        default:
            break
        }
    }

    private func parse(_ raw: MCAPLexer.RawRecord) -> MCAPRecord? {
        do {
            return try MCAPRecord(opcode: raw.opcode, content: raw.content)
        } catch {
            problems.append(.corruptRecord(file: name, offset: raw.offset, reason: error.description))
            return nil
        }
    }

    private func readChunk(_ raw: MCAPLexer.RawRecord) {
        guard case .chunk(let record)? = parse(raw) else { return }
        let skipAll = resume.map { raw.offset < $0.chunkOffset } ?? false
        guard let codec = Codecs.named(record.compression) else {
            problems.append(.unsupportedCompression(file: name, offset: raw.offset, name: record.compression))
            return
        }
        guard record.uncompressedSize <= UInt64(Codecs.maximumChunkSize) else {
            problems.append(.corruptRecord(file: name, offset: raw.offset, reason: "implausible uncompressed size \(record.uncompressedSize)"))
            return
        }
        let bytes: [UInt8]
        do {
            bytes = try codec.decompress(record.records, uncompressedSize: Int(record.uncompressedSize))
        } catch {
            problems.append(error.inFile(name).at(raw.offset))
            return
        }
        if record.uncompressedCRC != 0 {
            let actual = CRC32.checksum(bytes)
            guard actual == record.uncompressedCRC else {
                problems.append(.invalidCRC(file: name, offset: raw.offset, expected: record.uncompressedCRC, actual: actual))
                return
            }
        }
        chunksRead += 1
        compressedBytesRead += UInt64(record.records.count)
        rawBytesRead += record.uncompressedSize
        chunk = bytes
        chunkOffset = raw.offset
        // The chunk's records, read in place: a message becomes a `PendingMessage` (its header and
        // where its payload lies), nothing copied; other records (channels) are parsed.
        var at = 0, index = 0
        while at < bytes.count {
            guard bytes.count - at >= 9 else {
                problems.append(.corruptRecord(file: name, offset: raw.offset, reason: "chunk ends inside a record"))
                break
            }
            let opcode = bytes[at]
            let length = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: at + 1, as: UInt64.self)) }
            guard length <= UInt64(bytes.count - at - 9) else {
                problems.append(.corruptRecord(file: name, offset: raw.offset, reason: "chunk ends inside a record"))
                break
            }
            let content = (at + 9)..<(at + 9 + Int(length))
            at = content.upperBound
            if opcode == MCAPOpcode.message.rawValue {
                let skip = skipAll || (resume.map { raw.offset == $0.chunkOffset && index < $0.index } ?? false)
                if skip { index += 1; continue }
                guard scanMessage(at: content, index: index) else {
                    problems.append(.corruptRecord(file: name, offset: raw.offset, reason: "chunk holds a message record of \(length) bytes"))
                    break
                }
                index += 1
            } else {
                do {
                    take(try MCAPRecord(opcode: opcode, content: bytes[content]))
                } catch {
                    problems.append(.corruptRecord(file: name, offset: raw.offset, reason: "chunk holds a bad record: \(error)"))
                    break
                }
            }
        }
        if let r = resume, raw.offset >= r.chunkOffset { resume = nil }
    }

    /// Reads the header of the message record at `content` of `chunk` and queues it; false if the
    /// record is too short to be a message. A message on a channel not (yet) defined is a problem,
    /// not returned, but it keeps its index.
    private func scanMessage(at content: Range<Int>, index: Int) -> Bool {
        guard content.count >= 22 else { return false }
        let (channel, sequence, time) = chunk.withUnsafeBytes { b in
            (UInt16(littleEndian: b.loadUnaligned(fromByteOffset: content.lowerBound, as: UInt16.self)),
             UInt32(littleEndian: b.loadUnaligned(fromByteOffset: content.lowerBound + 2, as: UInt32.self)),
             UInt64(littleEndian: b.loadUnaligned(fromByteOffset: content.lowerBound + 6, as: UInt64.self)))
        }
        guard let definition = channels[channel] else {
            problems.append(.corruptRecord(file: name, offset: chunkOffset, reason: "message on unknown channel \(channel)"))
            return true
        }
        pending.append(PendingMessage(time: time, sequence: sequence, channel: channel, definition: definition,
                                      start: content.lowerBound + 22, end: content.upperBound, index: index))
        return true
    }

    /// Applies a record other than a message.
    private func take(_ record: MCAPRecord) {
        switch record {
        case .channel(let ch):
            define(ch)
        case .metadata(let name, let values):
            metadata[name] = values
        default:
            break
        }
    }
}

/// A channel's topic, and the QoS and retain flag its messages were received with.
struct Channel {
    var topic: String
    var qos: UInt8
    var retain: Bool

    init(_ c: MCAPChannel) {
        topic = c.topic
        qos = UInt8(c.metadata["qos"] ?? "0") ?? 0
        retain = c.metadata["retain"] == "true"
    }
}

/// A message of the current chunk not yet returned: its header, and where its payload lies.
private struct PendingMessage {
    var time: UInt64
    var sequence: UInt32
    var channel: UInt16
    var definition: Int
    var start: Int
    var end: Int
    var index: Int
}

extension CaptureError {
    func at(_ offset: UInt64) -> CaptureError {
        switch self {
        case .compression(let f, _, let r): .compression(file: f, offset: offset, reason: r)
        default: self
        }
    }
}
