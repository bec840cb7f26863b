import ArgumentParser
import Capture
import Foundation

struct CompactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Rewrite closed segments smaller for the archive: same messages, same order, atomically.",
        discussion: """
        Examples:
          restrace compact capture/
          restrace compact capture/000001.mcap --level 22

        Each closed segment is rewritten with larger chunks at a high zstd level into a hidden file \
        beside it, read back and compared message by message, synced, and renamed over the \
        original: a crash at any moment leaves the old file or the new one. Files that are open \
        (a recorder is writing them), torn or damaged (recover them first), or not written by \
        restrace are left as they are.
        """)

    @Argument(help: "Capture directories or .mcap files.") var captures: [String]
    @Option(help: "zstd level, 1 to 22.") var level: Int32 = 19
    @Option(help: ArgumentHelp("Uncompressed bytes per chunk.", valueName: "size")) var chunkSize = SizeArgument(bytes: 8 << 20)

    func validate() throws {
        guard (1...22).contains(level) else { throw ValidationError("--level must be 1 to 22") }
        guard chunkSize.bytes >= 64 << 10, chunkSize.bytes <= 256 << 20 else { throw ValidationError("--chunk-size must be 64KiB to 256MiB") }
    }

    func run() throws {
        var options = CaptureCompaction.Options()
        options.level = level
        options.chunkSize = Int(chunkSize.bytes)
        var before: UInt64 = 0, after: UInt64 = 0
        for capture in captures {
            for r in try CaptureCompaction.compact(path: capture, options: options) {
                let name = (r.path as NSString).lastPathComponent
                if let why = r.skipped { print("\(name): \(why); left as it is"); continue }
                before += r.bytesBefore
                after += r.bytesAfter
                print(String(format: "%@: %llu messages, %llu → %llu bytes (%.2f)", name, r.messages, r.bytesBefore, r.bytesAfter,
                             r.bytesBefore > 0 ? Double(r.bytesAfter) / Double(r.bytesBefore) : 0))
            }
        }
        print(String(format: "compacted %llu → %llu bytes", before, after))
    }
}
