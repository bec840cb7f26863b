import ArgumentParser
import Broker
import Capture
import Foundation

struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete a capture's oldest closed segments over a size or an age (what record --retain-* does).",
        discussion: """
        Examples:
          restrace prune capture/ --retain-size 50GiB
          restrace prune capture/ --retain-age 30d --dry-run

        Only closed segments that restrace wrote are deleted (a file with restrace's metadata \
        record), oldest first, and never the newest one, which a recorder may have open. A \
        projection of the capture stays valid: it goes on with the segments that are left.
        """)

    @Argument(help: "The capture directory.") var capture: String
    @OptionGroup var retention: RetentionOptions
    @Flag(help: "Say what would be deleted; delete nothing.") var dryRun = false

    func validate() throws {
        if retention.limits.isEmpty { throw ValidationError("give --retain-size, --retain-age or both") }
    }

    func run() throws {
        guard CaptureSource.isDirectory(capture) else { throw ValidationError("\(capture) is not a capture directory") }
        let deleted = try CaptureRetention.prune(directory: capture, limits: retention.limits, now: WallClock.now(), dryRun: dryRun)
        for d in deleted {
            print("\(dryRun ? "would delete" : "deleted") \((d.path as NSString).lastPathComponent) (\(d.bytes) bytes): \(d.reason)")
        }
        let bytes = deleted.reduce(0) { $0 + $1.bytes }
        print("\(dryRun ? "would delete" : "deleted") \(deleted.count) segments, \(bytes) bytes")
    }
}
