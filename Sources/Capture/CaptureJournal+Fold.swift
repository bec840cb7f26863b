extension CaptureJournal {
    /// Writes `entries` (what `open` found held) into the capture through `writer`, leaving out
    /// any already in the capture's last file (a kill between a chunk's write and its commit
    /// leaves a few both there and here), flushes, and commits them. Returns how many it wrote.
    public func fold(_ entries: [Entry], into writer: CaptureWriter) throws(CaptureError) -> Int {
        guard let first = entries.first, let last = entries.last else { return 0 }
        var present = Set<Key>()
        if let file = writer.existingFiles.last, let reader = try? SegmentReader(path: file) {
            while let m = reader.next()?.message { if m.time >= first.message.time { present.insert(Key(m)) } }
        }
        var written = 0
        for e in entries where !present.contains(Key(e.message)) {
            try writer.write(e.message)
            written += 1
        }
        try writer.flush()
        commit(through: last.number)
        return written
    }

    /// A message's identity: the recorder's receive time is in nanoseconds, so equal ones are the same message.
    private struct Key: Hashable {
        var time: UInt64
        var topic: String
        var payload: [UInt8]
        init(_ m: CapturedMessage) { time = m.time; topic = m.topic; payload = m.payload }
    }
}
