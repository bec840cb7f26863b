import Foundation

/// Closes torn files and drops corrupt chunks, keeping every intact message.
public enum CaptureRecovery {
    public struct FileResult: Sendable {
        public var path: String
        /// False when the file was intact and left untouched.
        public var rewritten: Bool
        public var messagesKept: UInt64
        /// Messages known lost: from the statistics of a closed file, or from gaps in the sequence
        /// numbers of files written before 0.4.0 (a torn file's lost tail cannot be counted).
        public var messagesLost: UInt64
        /// Chunks skipped because they were corrupt.
        public var chunksDropped: Int
        /// Bytes cut from the end of the original file (its torn tail).
        public var bytesCut: UInt64
        public var problems: [CaptureError]
        /// Set when the file is damaged but was left as it is: it is not an MCAP file at all, and
        /// rewriting it would destroy whatever it is.
        public var notRecoverable: CaptureError?
        /// Set when the file was left alone because a live writer has it open (who, as text).
        public var inUseBy: String?
        /// True for a new file made of what a killed recorder's journal held.
        public var fromJournal = false
    }

    /// Recovers every file of the capture at `path` that needs it, each through a temporary file
    /// and an atomic rename.
    ///
    /// A capture that a live writer (a running `record`) holds keeps its newest file as it is:
    /// that file is open, and replacing it would make the writer go on into an unlinked copy.
    /// A capture directory is locked for the run, so that no writer starts meanwhile.
    public static func recover(path: String) throws(CaptureError) -> [FileResult] {
        let files = try CaptureSource.files(of: path)
        let claim = try RewriteClaim(path: path)
        defer { claim.release() }
        var results: [FileResult] = []
        for file in files {
            if file == claim.openFile, let writer = claim.writer {
                results.append(FileResult(path: file, rewritten: false, messagesKept: 0, messagesLost: 0, chunksDropped: 0,
                                          bytesCut: 0, problems: [], inUseBy: writer))
                continue
            }
            results.append(try recoverFile(file))
        }
        if let lock = claim.lock, CaptureJournal.exists(in: path) {
            let (journal, held) = try CaptureJournal.open(directory: path)
            if !held.isEmpty {
                let writer = try CaptureWriter(directory: path, lock: lock)
                let written = try journal.fold(held, into: writer)
                try writer.close()
                results.append(FileResult(path: writer.filesWritten.last ?? journal.path, rewritten: true, messagesKept: UInt64(written),
                                          messagesLost: 0, chunksDropped: 0, bytesCut: 0, problems: [], fromJournal: true))
            }
        }
        return results
    }

    public static func recoverFile(_ file: String) throws(CaptureError) -> FileResult {
        let report = try CaptureVerifier.verifyFile(file)
        guard !report.isIntact || !report.closedCleanly else {
            return FileResult(path: file, rewritten: false, messagesKept: report.messages, messagesLost: 0,
                              chunksDropped: 0, bytesCut: 0, problems: [])
        }
        if let notMCAP = report.problems.first(where: { if case .badMagic(_, 0) = $0 { true } else { false } }) {
            return FileResult(path: file, rewritten: false, messagesKept: 0, messagesLost: 0, chunksDropped: 0, bytesCut: 0,
                              problems: report.problems, notRecoverable: notMCAP)
        }
        let reader = try SegmentReader(path: file)
        let temp = file + ".recovering"
        try? FileManager.default.removeItem(atPath: temp)
        var kept: UInt64 = 0, lost: UInt64 = 0
        var lastSequence: UInt32?
        var writer: SegmentWriter?
        var firstEntry = reader.next()
        // The metadata record comes before the first chunk: it is known once a message was read.
        let metadata = reader.metadata.map { (name: $0.key, values: $0.value.merging(["recovered": "true"]) { $1 }) }
        writer = try SegmentWriter(path: temp, codec: ZstdCodec(), chunkSize: 1 << 20, library: "restrace recover",
                                   metadata: metadata.isEmpty ? [("restrace", ["recovered": "true"])] : metadata)
        while let entry = firstEntry ?? reader.next() {
            firstEntry = nil
            // Files written before 0.4.0 number their messages: a gap is a known loss.
            if let last = lastSequence, entry.sequence > last &+ 1 { lost += UInt64(entry.sequence - last - 1) }
            lastSequence = entry.sequence
            try writer!.write(entry.message, sequence: entry.sequence)
            kept += 1
        }
        reader.finish()
        // A file that was closed counts its messages in its statistics: what is not kept is lost.
        if let stats = try? FileSummary.read(file)?.statistics, stats.messageCount > kept {
            lost = max(lost, stats.messageCount - kept)
        }
        try writer!.close()
        let originalSize = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? UInt64) ?? 0
        let corruptChunks = reader.problems.filter {
            if case .invalidCRC = $0 { return true }
            if case .compression = $0 { return true }
            return false
        }.count
        let dropped = originalSize > reader.intactLength ? originalSize - reader.intactLength : 0
        guard rename(temp, file) == 0 else {
            throw .io(path: file, reason: "cannot replace with the recovered copy: \(String(cString: strerror(errno)))")
        }
        return FileResult(path: file, rewritten: true, messagesKept: kept, messagesLost: lost,
                          chunksDropped: corruptChunks, bytesCut: dropped, problems: reader.problems, notRecoverable: nil)
    }
}
