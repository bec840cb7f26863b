#if canImport(Glibc)
import Glibc
#endif

/// Streams the messages of one MCAP file in order, chunk by chunk, checking each chunk's CRC.
///
/// It reads closed files, files still being written, and files cut short by a crash: it stops
/// cleanly at the last intact record. Memory stays bounded by one chunk. Problems (corrupt chunks,
/// a torn tail) are collected in `problems`; a corrupt chunk is skipped, never returned altered.
public final class SegmentReader {
    public let path: String
    /// Shown in errors: the file's name.
    public let name: String
    private var fd: Int32 = -1
    private var lexer = MCAPLexer()
    private var readOffset: UInt64 = 0
    /// Where `pread` puts the next 256 KiB (reused, so reading does not allocate).
    private var block = [UInt8](repeating: 0, count: 1 << 18)
    @exclusivity(unchecked) private var channels: [UInt16: (topic: String, qos: UInt8, retain: Bool)] = [:]
    /// The current chunk's messages, each moved out (`take()`) as it is returned, not copied.
    /// Touched for every message, by this reader's one thread: no run-time exclusivity check (it
    /// cost four checks per message).
    @exclusivity(unchecked) private var pending: [CaptureEntry?] = []
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
        for c in summary.channels {
            channels[c.id] = (c.topic, UInt8(c.metadata["qos"] ?? "0") ?? 0, c.metadata["retain"] == "true")
        }
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
    public func next() -> CaptureEntry? {
        while true {
            if pendingIndex < pending.count {
                defer { pendingIndex += 1 }
                messagesRead += 1
                return pending[pendingIndex].take()
            }
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
        case MCAPOpcode.channel.rawValue, MCAPOpcode.message.rawValue, MCAPOpcode.metadata.rawValue:
            if let r = parse(raw) { take(r, chunkOffset: raw.offset, index: 0) }
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
        guard case .chunk(let chunk)? = parse(raw) else { return }
        let skipAll = resume.map { raw.offset < $0.chunkOffset } ?? false
        guard let codec = Codecs.named(chunk.compression) else {
            problems.append(.unsupportedCompression(file: name, offset: raw.offset, name: chunk.compression))
            return
        }
        guard chunk.uncompressedSize <= UInt64(Codecs.maximumChunkSize) else {
            problems.append(.corruptRecord(file: name, offset: raw.offset, reason: "implausible uncompressed size \(chunk.uncompressedSize)"))
            return
        }
        let bytes: [UInt8]
        do {
            bytes = try codec.decompress(chunk.records, uncompressedSize: Int(chunk.uncompressedSize))
        } catch {
            problems.append(error.inFile(name).at(raw.offset))
            return
        }
        if chunk.uncompressedCRC != 0 {
            let actual = CRC32.checksum(bytes)
            guard actual == chunk.uncompressedCRC else {
                problems.append(.invalidCRC(file: name, offset: raw.offset, expected: chunk.uncompressedCRC, actual: actual))
                return
            }
        }
        chunksRead += 1
        compressedBytesRead += UInt64(chunk.records.count)
        rawBytesRead += chunk.uncompressedSize
        var inner = MCAPLexer(offset: 0, expectMagic: false)
        inner.append(bytes)
        var index = 0
        do {
            while let r = try inner.next() {
                if r.opcode == MCAPOpcode.message.rawValue {
                    let skip = skipAll || (resume.map { raw.offset == $0.chunkOffset && index < $0.index } ?? false)
                    if skip { index += 1; continue }
                }
                guard let record = parse(r) else { return }
                if take(record, chunkOffset: raw.offset, index: index) { index += 1 }
            }
            if inner.pendingBytes > 0 {
                problems.append(.corruptRecord(file: name, offset: raw.offset, reason: "chunk ends inside a record"))
            }
        } catch {
            problems.append(.corruptRecord(file: name, offset: raw.offset, reason: "chunk holds a bad record: \(error)"))
        }
        if let r = resume, raw.offset >= r.chunkOffset { resume = nil }
    }

    /// Applies a record; returns true if it was a message.
    @discardableResult
    private func take(_ record: MCAPRecord, chunkOffset: UInt64, index: Int) -> Bool {
        switch record {
        case .channel(let ch):
            channels[ch.id] = (ch.topic, UInt8(ch.metadata["qos"] ?? "0") ?? 0, ch.metadata["retain"] == "true")
        case .metadata(let name, let values):
            metadata[name] = values
        case .message(let m):
            guard let ch = channels[m.channelID] else {
                problems.append(.corruptRecord(file: name, offset: chunkOffset, reason: "message on unknown channel \(m.channelID)"))
                return true
            }
            let message = CapturedMessage(time: m.logTime, topic: ch.topic, qos: ch.qos, retain: ch.retain, payload: Array(m.data))
            pending.append(CaptureEntry(message: message, sequence: m.sequence,
                                        position: CapturePosition(file: name, chunkOffset: chunkOffset, index: index),
                                        channel: m.channelID))
            return true
        default:
            break
        }
        return false
    }
}

extension CaptureError {
    func at(_ offset: UInt64) -> CaptureError {
        switch self {
        case .compression(let f, _, let r): .compression(file: f, offset: offset, reason: r)
        default: self
        }
    }
}
