import ArgumentParser
import Capture
import ResourceProtocol
import Selection

/// `--since`, `--until`, `--product`, `--device`, `--type`: the message selection of `cat` and `replay`.
struct CaptureFilterOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Only messages at or after this time (\(TimeArgument.forms)).", valueName: "time"))
    var since: TimeArgument?

    @Option(help: ArgumentHelp("Only messages at or before this time.", valueName: "time"))
    var until: TimeArgument?

    @Option(help: ArgumentHelp("Only this product id (repeatable).", valueName: "id"))
    var product: [String] = []

    @Option(help: ArgumentHelp("Only this device name (repeatable).", valueName: "name"))
    var device: [String] = []

    @Option(help: ArgumentHelp("Only this message type, e.g. report_upload_progress (repeatable).", valueName: "type"))
    var type: [String] = []

    /// The filter, with relative times resolved against the first message of `paths`.
    func filter(paths: [String]) throws -> MessageFilter {
        var f = MessageFilter()
        var start: UInt64?
        if case .relative = since { start = try firstTime(paths) }
        if case .relative = until { start = try firstTime(paths) }
        f.since = since?.resolve(start: start)
        f.until = until?.resolve(start: start)
        f.products = Set(product)
        f.devices = Set(device)
        f.types = Set(type)
        return f
    }

    private func firstTime(_ paths: [String]) throws -> UInt64? {
        try CaptureReader(paths: paths).next()?.message.time
    }
}
