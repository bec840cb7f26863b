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
        var problems = reader.problems
        if !reader.reachedDataEnd, problems.isEmpty {
            problems.append(.truncated(file: reader.name, offset: reader.intactLength, missing: 0))
        }
        var closed = reader.reachedDataEnd && problems.isEmpty
        if reader.reachedDataEnd {
            do {
                if let summary = try FileSummary.read(file) {
                    if let stats = summary.statistics, stats.messageCount != messages, problems.isEmpty {
                        problems.append(.corruptRecord(file: reader.name, offset: summary.summaryStart,
                                                       reason: "statistics count \(stats.messageCount) messages, the chunks hold \(messages)"))
                        closed = false
                    }
                } else {
                    problems.append(.truncated(file: reader.name, offset: reader.intactLength, missing: 0))
                    closed = false
                }
            } catch {
                problems.append(error.inFile(reader.name))
                closed = false
            }
        }
        return FileReport(path: file, messages: messages, chunks: reader.chunksRead, closedCleanly: closed, problems: problems)
    }
}
