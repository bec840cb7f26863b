#if canImport(Glibc)
import Glibc
#endif

/// Streams the messages of one or more captures, merged in time order.
///
/// Each capture's files are read in name order; messages of several captures (for example from
/// recorders that share one subscription) are merged by receive time without loading them.
/// Problems met on the way are collected in `problems`; intact messages are never withheld.
public final class CaptureReader {
    private var streams: [FileStream]
    private let follow: Bool

    /// - Parameters:
    ///   - paths: capture directories or `.mcap` files.
    ///   - resumeAt: for a single capture, continue after this position.
    ///   - follow: keep files open at their end, expecting more (a capture being recorded).
    ///   - since: messages before this time may be skipped without being read (closed files seek).
    public init(paths: [String], resumeAfter: CapturePosition? = nil, since: UInt64? = nil,
                follow: Bool = false) throws(CaptureError) {
        precondition(!paths.isEmpty)
        self.follow = follow
        var streams: [FileStream] = []
        for p in paths { streams.append(try FileStream(path: p, resumeAfter: paths.count == 1 ? resumeAfter : nil, since: since)) }
        self.streams = streams
    }

    /// Problems of every file read so far, in reading order.
    public var problems: [CaptureError] { streams.flatMap(\.problems) }
    /// A file that could not be opened: reading stopped before it (and is tried again by the next
    /// call), so that nothing after it is taken for the capture's next message.
    public var failure: CaptureError? { streams.lazy.compactMap(\.failure).first }
    /// Files opened so far.
    public var filesRead: [SegmentReader] { streams.flatMap(\.readers) }

    /// The next message in time order, or nil when there is nothing more (for now, when following).
    public func next() -> CaptureEntry? { nextView { $0.entry } }

    /// Calls `body` with the next message in time order, lent without being copied (valid only
    /// during the call), and returns what it returns; nil when there is nothing more for now.
    /// Of messages with the same time, the first capture's comes first.
    public func nextView<R>(_ body: (MessageView) throws -> R) rethrows -> R? {
        var best: SegmentReader?
        var bestTime: UInt64 = 0
        for stream in streams {
            let ready = stream.ready(follow: follow)
            if stream.failure != nil { return nil }
            if let reader = ready, let time = reader.peekTime(), best == nil || time < bestTime {
                best = reader
                bestTime = time
            }
        }
        return try best?.nextView(body)
    }
}

/// The files of one capture, one after another.
final class FileStream {
    let path: String
    private var files: [String]
    private var fileIndex = 0
    private var resume: CapturePosition?
    private(set) var readers: [SegmentReader] = []
    private var current: SegmentReader?
    private(set) var failure: CaptureError?

    private let since: UInt64?

    init(path: String, resumeAfter: CapturePosition?, since: UInt64?) throws(CaptureError) {
        self.path = path
        self.since = since
        files = try CaptureSource.files(of: path)
        // A file that cannot be read fails the whole read at once, naming it, rather than after
        // everything before it (or, worse, being skipped).
        for file in files {
            let fd = open(file, O_RDONLY | O_CLOEXEC)
            if fd < 0 { throw .io(path: file, reason: "cannot open: \(String(cString: strerror(errno)))") }
            close(fd)
        }
        resume = resumeAfter
        if let r = resumeAfter, let i = files.firstIndex(where: { Self.name($0) == r.file }) { fileIndex = i }
        else if let r = resumeAfter { fileIndex = files.firstIndex(where: { Self.name($0) > r.file }) ?? files.count }
    }

    var problems: [CaptureError] { readers.flatMap(\.problems) }

    static func name(_ path: String) -> String { String(path.split(separator: "/").last ?? Substring(path)) }

    /// The reader whose next message is this capture's next, opening the following files as
    /// needed; nil when the capture has nothing more (for now, when following).
    func ready(follow: Bool) -> SegmentReader? {
        while true {
            if current == nil {
                if fileIndex >= files.count, follow, CaptureSource.isDirectory(path),
                   let now = try? CaptureSource.segmentFiles(inDirectory: path), now.count > files.count {
                    files = now
                }
                guard fileIndex < files.count else { return nil }
                let file = files[fileIndex]
                var at: (UInt64, Int)?
                if let r = resume, r.file == Self.name(file) { at = (r.chunkOffset, r.index + 1) }
                do {
                    let reader = try SegmentReader(path: file, resumeAt: at, since: since)
                    readers.append(reader)
                    current = reader
                    failure = nil
                    resume = nil
                } catch {
                    failure = error
                    return nil
                }
            }
            let reader = current!
            if reader.peekTime() != nil { return reader }
            if !reader.isFinished {
                if follow {
                    // A newer file means this one will not grow again: it was left torn.
                    guard let now = try? CaptureSource.segmentFiles(inDirectory: path), now.count > fileIndex + 1 else { return nil }
                    files = now
                    if reader.peekTime() != nil { return reader }
                }
                reader.finish()
            }
            reader.releaseBuffers()
            current = nil
            fileIndex += 1
        }
    }
}
