import Foundation

/// Writes a capture: a directory of `000001.mcap`, `000002.mcap`, … files, rotated by size and
/// duration. A writer on an existing capture continues with a new file.
public final class CaptureWriter {
    public struct Options: Sendable {
        /// The open chunk is compressed and written when it holds this many uncompressed bytes.
        public var chunkSize = 4 << 20
        /// Start a new file when the current one reaches this many bytes (nil: never).
        public var segmentSize: UInt64?
        /// Start a new file when the current one spans this many ns of receive time (nil: never).
        public var segmentDuration: UInt64?
        public var codec: ChunkCodec = ZstdCodec()
        /// Written into every file as the metadata record named `restrace`.
        public var metadata: [String: String] = [:]
        public var library = "restrace"

        public init() {}
    }

    public let directory: String
    private let options: Options
    private var segment: SegmentWriter?
    private var nextFileNumber: Int
    public private(set) var messagesWritten: UInt64 = 0
    private var closedBytes: UInt64 = 0
    private var closedRawBytes: UInt64 = 0
    public private(set) var filesWritten: [String] = []
    /// Files closed so far (rotated, or at the end).
    public private(set) var segmentsClosed = 0
    /// Held from opening to closing: a capture directory has one writer.
    private let lock: CaptureLock
    /// Messages a full disk held back, in order, and a file whose closing it interrupted.
    private var backlog: [CapturedMessage] = []
    private var closing: SegmentWriter?

    /// Opens (creating if needed) the capture directory, taking its lock (or using `lock`, when
    /// the caller holds it already).
    public init(directory: String, options: Options = Options(), lock: CaptureLock? = nil) throws(CaptureError) {
        self.directory = directory
        self.options = options
        try ErrorText.makeDirectories(directory)
        if let lock { self.lock = lock } else { self.lock = try CaptureLock(directory: directory) }
        let existing = try CaptureSource.segmentFiles(inDirectory: directory)
        existingFiles = existing
        nextFileNumber = (existing.compactMap { Int(($0 as NSString).lastPathComponent.prefix(6)) }.max() ?? 0) + 1
    }

    /// Bytes written to disk so far, across files.
    public var bytesWritten: UInt64 { closedBytes + (segment?.bytesOnDisk ?? 0) }
    /// Uncompressed bytes of the chunks written so far.
    public var rawBytesWritten: UInt64 { closedRawBytes + (segment?.rawBytes ?? 0) }
    /// The capture's files when this writer opened it, in order.
    public let existingFiles: [String]
    /// The file being written, if any.
    public var currentFile: String? { segment?.path }

    /// Writes `message` (into the open chunk; it reaches the disk with the chunk).
    ///
    /// On a full disk it throws `.diskFull`, but the message is accepted all the same: held in
    /// memory, in order, and written by `retry()` or a later call once there is room.
    public func write(_ message: CapturedMessage) throws(CaptureError) {
        guard backlog.isEmpty, closing == nil else {
            backlog.append(message)
            try retry()
            return
        }
        do {
            try place(message)
        } catch .diskFull(let path, let reason) {
            if !accepted { backlog.append(message) }
            throw .diskFull(path: path, reason: reason)
        }
    }

    /// Hands `message` to the current file, rotating first if due; `accepted` says whether the
    /// message was taken when it throws.
    private func place(_ message: CapturedMessage) throws(CaptureError) {
        accepted = false
        if let s = segment, shouldRotate(s, at: message.time) { try closeSegment() }
        if segment == nil { try openSegment() }
        accepted = true
        // `sequence` is 0: a counter in every message cost a capture 17 % of its size (a value
        // zstd cannot predict, docs/performance.md); a closed file's statistics count its messages.
        try segment!.write(message, sequence: 0)
        messagesWritten += 1
        if segment!.isAllOnDisk { messagesOnDisk = messagesWritten }
    }
    private var accepted = false

    /// Writes what a full disk held back: a file's pending bytes, a file left half closed, then
    /// the messages waiting. Throws `.diskFull` again while there is no room.
    public func retry() throws(CaptureError) {
        if closing != nil { try closeSegment() }
        try segment?.flush()
        if backlog.isEmpty { messagesOnDisk = messagesWritten }
        var placed = 0
        defer { backlog.removeFirst(placed) }
        for message in backlog {
            do {
                try place(message)
            } catch {
                if accepted { placed += 1 }
                throw error
            }
            placed += 1
        }
    }

    /// How many of the messages written are on disk (in the page cache: a killed process loses
    /// none of them): all but those of the open chunk and those a full disk held back.
    public private(set) var messagesOnDisk: UInt64 = 0

    /// Messages held back by a full disk.
    public var heldBack: Int { backlog.count }

    /// Writes the open chunk to disk (and first anything a full disk held back).
    public func flush() throws(CaptureError) { try retry() }

    /// Closes the current file with its summary and footer. Further writes open a new file.
    public func close() throws(CaptureError) {
        try retry()
        try closeSegment()
        messagesOnDisk = messagesWritten
    }

    private func shouldRotate(_ s: SegmentWriter, at time: UInt64) -> Bool {
        if s.isFullOfChannels { return true }
        if let limit = options.segmentSize, s.approximateSize >= limit { return true }
        if let limit = options.segmentDuration, let first = s.firstTime, time >= first, time - first >= limit { return true }
        return false
    }

    private func openSegment() throws(CaptureError) {
        let path = (directory as NSString).appendingPathComponent(String(format: "%06d.mcap", nextFileNumber))
        nextFileNumber += 1
        segment = try SegmentWriter(path: path, codec: options.codec, chunkSize: options.chunkSize,
                                    library: options.library, metadata: [("restrace", options.metadata)])
        filesWritten.append(path)
    }

    private func closeSegment() throws(CaptureError) {
        guard let s = closing ?? segment else { return }
        segment = nil
        closing = s
        try s.close()
        closing = nil
        segmentsClosed += 1
        closedBytes += s.bytesOnDisk
        closedRawBytes += s.rawBytes
    }
}
