import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Retention: the oldest closed segments of a capture deleted once it is over a size or an age.
/// Only what restrace wrote is ever deleted (a closed MCAP file with restrace's metadata record),
/// and never the newest file (a recorder may have it open).
public enum CaptureRetention {
    public struct Limits: Sendable {
        /// The capture's segments may hold this many bytes in all.
        public var size: UInt64?
        /// A segment whose last message is older than this (ns) goes.
        public var age: UInt64?

        public init(size: UInt64? = nil, age: UInt64? = nil) {
            self.size = size
            self.age = age
        }

        public var isEmpty: Bool { size == nil && age == nil }
    }

    public struct Deletion: Sendable {
        public var path: String
        public var bytes: UInt64
        public var reason: String
    }

    /// What `prune` deletes at `now` (ns since the epoch), oldest first.
    public static func plan(directory: String, limits: Limits, now: UInt64) throws(CaptureError) -> [Deletion] {
        let files = try CaptureSource.segmentFiles(inDirectory: directory)
        let sizes = files.map { (try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? UInt64) ?? 0 }
        var total = sizes.reduce(0, +)
        var out: [Deletion] = []
        for (i, file) in files.enumerated().dropLast() {
            guard let summary = try? FileSummary.read(file), summary.metadataIndexes.contains(where: { $0.name == "restrace" }) else { continue }
            var reason: String?
            if let limit = limits.size, total > limit {
                reason = "the capture holds \(total) bytes, over \(limit)"
            } else if let age = limits.age, let end = summary.statistics?.messageEndTime, now > age, end < now - age {
                reason = "its last message (\(Timestamp.format(end, fractionDigits: 0))) is older than \(describe(age))"
            }
            guard let reason else { continue }
            out.append(Deletion(path: file, bytes: sizes[i], reason: reason))
            total -= sizes[i]
        }
        return out
    }

    /// `30d`, `12h`, `90s`.
    static func describe(_ ns: UInt64) -> String {
        let s = ns / 1_000_000_000
        for (unit, size) in [("d", UInt64(86_400)), ("h", 3_600), ("m", 60)] where s >= size && s % size == 0 { return "\(s / size)\(unit)" }
        return "\(s)s"
    }

    /// Deletes what `plan` gives (nothing with `dryRun`) and returns it.
    public static func prune(directory: String, limits: Limits, now: UInt64, dryRun: Bool = false) throws(CaptureError) -> [Deletion] {
        let planned = try plan(directory: directory, limits: limits, now: now)
        guard !dryRun else { return planned }
        for d in planned where unlink(d.path) != 0 {
            throw .io(path: d.path, reason: "cannot delete: \(String(cString: strerror(errno)))")
        }
        return planned
    }
}
