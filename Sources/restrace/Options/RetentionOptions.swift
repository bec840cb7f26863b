import ArgumentParser
import Capture

/// `--retain-size`, `--retain-age`: how much of a capture `record` and `prune` keep.
struct RetentionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Delete the oldest closed segments once the capture's files hold more than this (e.g. 50GiB).", valueName: "size"))
    var retainSize: SizeArgument?
    @Option(help: ArgumentHelp("Delete closed segments whose last message is older than this (e.g. 30d).", valueName: "duration"))
    var retainAge: DurationArgument?

    func validate() throws {
        if let a = retainAge, a.nanoseconds < 1_000_000_000 { throw ValidationError("--retain-age must be at least 1s") }
    }

    var limits: CaptureRetention.Limits { CaptureRetention.Limits(size: retainSize?.bytes, age: retainAge?.nanoseconds) }
}
