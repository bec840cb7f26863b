/// Checks every file of a capture: each chunk's CRC, the torn tail, the summary and its CRC.
public enum CaptureVerifier {
    /// What verification found in one file.
    public struct FileReport: Sendable {
        public var path: String
        public var messages: UInt64
        public var chunks: Int
        /// True if the file has its DataEnd, summary and footer, and they check out.
        public var closedCleanly: Bool
        public var problems: [CaptureError]
        public var isIntact: Bool { problems.isEmpty }
    }

    public static func verify(path: String) throws(CaptureError) -> [FileReport] {
        var reports: [FileReport] = []
        for file in try CaptureSource.files(of: path) { reports.append(try verifyFile(file)) }
        return reports
    }

    public static func verifyFile(_ file: String) throws(CaptureError) -> FileReport {
        let reader = try SegmentReader(path: file)
        var messages: UInt64 = 0
        while reader.next() != nil { messages += 1 }
        reader.finish()
        let problems = reader.problems + closingProblems(of: reader)
        return FileReport(path: file, messages: messages, chunks: reader.chunksRead,
                          closedCleanly: reader.reachedDataEnd && problems.isEmpty, problems: problems)
    }

    /// What is wrong with the end of a file `reader` has read through (after `finish()`): no
    /// DataEnd, or no summary, or a summary that disagrees with the chunks. Empty if it was closed
    /// cleanly, or if the reader already found a problem.
    public static func closingProblems(of reader: SegmentReader) -> [CaptureError] {
        guard reader.problems.isEmpty else { return [] }
        guard reader.reachedDataEnd else { return [.truncated(file: reader.name, offset: reader.intactLength, missing: 0)] }
        do {
            guard let summary = try FileSummary.read(reader.path) else {
                return [.truncated(file: reader.name, offset: reader.intactLength, missing: 0)]
            }
            if let stats = summary.statistics, stats.messageCount != reader.messagesRead {
                return [.corruptRecord(file: reader.name, offset: summary.summaryStart,
                                       reason: "statistics count \(stats.messageCount) messages, the chunks hold \(reader.messagesRead)")]
            }
            return []
        } catch {
            return [error.inFile(reader.name)]
        }
    }
}
