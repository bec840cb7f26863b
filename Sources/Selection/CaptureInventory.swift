import Capture
import ResourceProtocol

/// What `restrace info` shows: files, messages, span, devices, types, sizes and completeness.
public struct CaptureInventory: Sendable {
    public struct File: Sendable {
        public var name: String
        public var messages: UInt64 = 0
        public var bytesOnDisk: UInt64 = 0
        public var rawBytes: UInt64 = 0
        public var chunks = 0
        public var closedCleanly = false
        public var problems: [String] = []
    }

    public var files: [File] = []
    public var messages: UInt64 = 0
    public var recorderEvents: UInt64 = 0
    public var firstTime: UInt64?
    public var lastTime: UInt64?
    /// How often a message came with an earlier time than the one before it (the recorder's clock
    /// was set back), and the largest such step, ns.
    public var clockStepsBack = 0
    public var largestStepBack: UInt64 = 0
    private var previousTime: UInt64?
    public var devices = Set<String>()
    public var products = Set<String>()
    public var messagesPerType: [String: UInt64] = [:]
    public var payloadBytes: UInt64 = 0
    public var metadata: [String: String] = [:]

    public var bytesOnDisk: UInt64 { files.reduce(0) { $0 + $1.bytesOnDisk } }
    public var rawBytes: UInt64 { files.reduce(0) { $0 + $1.rawBytes } }

    /// Reads every message of the captures at `paths` once.
    public static func take(paths: [String]) throws(CaptureError) -> CaptureInventory {
        var inv = CaptureInventory()
        let reader = try CaptureReader(paths: paths)
        while let e = reader.next() { inv.count(e.message) }
        if let failure = reader.failure { throw failure }
        for r in reader.filesRead {
            r.finish()
            var f = File(name: r.path)
            f.messages = r.messagesRead
            f.rawBytes = r.rawBytesRead
            f.chunks = r.chunksRead
            f.bytesOnDisk = fileSize(r.path)
            // A file without DataEnd is open (being recorded, or torn: `verify` tells); one with
            // DataEnd but no sound summary is damaged.
            let problems = r.problems + (r.reachedDataEnd ? CaptureVerifier.closingProblems(of: r) : [])
            f.problems = problems.map(\.description)
            f.closedCleanly = r.reachedDataEnd && problems.isEmpty
            if let m = r.metadata["restrace"] { inv.metadata.merge(m) { a, _ in a } }
            inv.files.append(f)
        }
        return inv
    }

    mutating func count(_ m: CapturedMessage) {
        if let previous = previousTime, m.time < previous {
            clockStepsBack += 1
            largestStepBack = max(largestStepBack, previous - m.time)
        }
        previousTime = m.time
        if firstTime == nil { firstTime = m.time }
        firstTime = min(firstTime!, m.time)
        lastTime = max(lastTime ?? m.time, m.time)
        if m.isRecorderEvent { recorderEvents += 1; return }
        messages += 1
        payloadBytes += UInt64(m.payload.count)
        if let t = try? ResourceTopic(parsing: m.topic) {
            devices.insert(t.product + "/" + t.device)
            products.insert(t.product)
        }
        let type: String
        do { type = try ResourceMessage(decoding: m.payload).typeName ?? "(no type)" } catch { type = "(malformed)" }
        messagesPerType[type, default: 0] += 1
    }
}

#if canImport(Glibc)
import Glibc
#endif

func fileSize(_ path: String) -> UInt64 {
    var st = stat()
    return stat(path, &st) == 0 ? UInt64(st.st_size) : 0
}
