import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `compact`: a closed segment rewritten for the archive — the same messages in the same order,
/// with their sequence numbers, channels and metadata, in larger chunks at a high zstd level.
/// The new file is written beside the old one (`.NAME.compacting`, which readers skip), read back
/// and compared message by message, synced, and renamed over the old one: a crash at any moment
/// leaves either the old file or the new one, never neither.
public enum CaptureCompaction {
    public struct Options: Sendable {
        /// zstd level 19 with 8 MiB chunks: see docs/performance.md.
        public var level: Int32 = 19
        public var chunkSize = 8 << 20
        public init() {}
    }

    public struct Result: Sendable {
        public var path: String
        public var messages: UInt64
        public var bytesBefore: UInt64
        public var bytesAfter: UInt64
        /// Why the file was left as it is (open, damaged, not restrace's), if it was.
        public var skipped: String?
    }

    /// Compacts every closed segment of the capture at `path` (a directory or one file), holding
    /// its lock (`RewriteClaim`): a live writer's newest file is left alone.
    public static func compact(path: String, options: Options = Options()) throws(CaptureError) -> [Result] {
        let files = try CaptureSource.files(of: path)
        let claim = try RewriteClaim(path: path)
        defer { claim.release() }
        var results: [Result] = []
        for file in files {
            if file == claim.openFile {
                results.append(Result(path: file, messages: 0, bytesBefore: size(file), bytesAfter: size(file), skipped: "being written"))
                continue
            }
            results.append(try compactFile(file, options: options))
        }
        return results
    }

    public static func compactFile(_ file: String, options: Options = Options()) throws(CaptureError) -> Result {
        let before = size(file)
        let report = try CaptureVerifier.verifyFile(file)
        guard report.isIntact, report.closedCleanly else {
            return Result(path: file, messages: report.messages, bytesBefore: before, bytesAfter: before, skipped: "not closed cleanly (recover it first)")
        }
        // Streamed: one message at a time from the old file into the new one, and then both read
        // again side by side (memory does not grow with the segment: a 1 M-message one held
        // 392 MB when its messages were kept in memory).
        let reader = try SegmentReader(path: file)
        // The metadata record comes before the first chunk: it is known once a message was read.
        let first = reader.next()
        guard reader.metadata["restrace"] != nil else {
            return Result(path: file, messages: report.messages, bytesBefore: before, bytesAfter: before, skipped: "not written by restrace")
        }
        let name = (file as NSString).lastPathComponent
        let temporary = ((file as NSString).deletingLastPathComponent as NSString).appendingPathComponent(".\(name).compacting")
        unlink(temporary)  // left by a compaction that was killed
        let writer = try SegmentWriter(path: temporary, codec: ZstdCodec(level: options.level), chunkSize: options.chunkSize,
                                       library: "restrace", metadata: reader.metadata.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        var count: UInt64 = 0
        var next = first
        while let e = next {
            try writer.write(e.message, sequence: e.sequence)
            count += 1
            next = reader.next()
        }
        guard reader.problems.isEmpty else {
            try? writer.close()
            unlink(temporary)
            return Result(path: file, messages: report.messages, bytesBefore: before, bytesAfter: before, skipped: "damaged")
        }
        try writer.close()
        // Read back: the same messages, in the same order, before the old file goes.
        let original = try SegmentReader(path: file), check = try SegmentReader(path: temporary)
        var same = true
        while same, let a = original.next() {
            guard let b = check.next(), a.message == b.message, a.sequence == b.sequence else { same = false; break }
        }
        guard same, original.problems.isEmpty, check.problems.isEmpty, check.next() == nil else {
            unlink(temporary)
            throw .corruptRecord(file: temporary, offset: 0, reason: "the compacted file does not read back the same messages; the original is kept")
        }
        guard rename(temporary, file) == 0 else {
            throw .io(path: file, reason: "cannot replace it with the compacted file: \(String(cString: strerror(errno)))")
        }
        return Result(path: file, messages: count, bytesBefore: before, bytesAfter: size(file))
    }

    static func size(_ path: String) -> UInt64 { (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64) ?? 0 }
}
