import ArgumentParser
import Capture
import Comparison
import Foundation

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two captures' transfer conversations task by task; exit 4 if they differ.",
        discussion: """
        Examples:
          restrace diff field/ replayed/
          restrace diff field/ staging/ --map-product TESTPROD01=STAGING01 --ignore result_msg --format json
          restrace diff baseline.mcap candidate/ --format junit > diff.xml
          restrace diff field/ replayed/ --device cam-042 --latency-budget 5s

        A task is matched by kind, product, device, name and attempt (after --map-product and \
        --map-device, which rename BASELINE's). For each, in order: the platform's answers (types; \
        result_code, result_msg, size, md5sum, name, version, and the url without its query), the \
        device's messages (types, progress states, last percent, the fail code), the outcome \
        (state, failed_by, result code), and each answer's delay, which differs when the \
        candidate's is over --latency-budget and over --latency-factor times the baseline's. Tasks \
        in only one capture are missing or extra; messages of no task are compared as counts per \
        anomaly kind. --ignore drops a field or a group (answers, device, outcome, latency, \
        anomalies). Exit 0: the same; 4: differences; 1, 2, 3 as everywhere.
        """)

    @Argument(help: "The capture the other is compared with (a directory or .mcap file).") var baseline: String
    @Argument(help: "The capture compared with it.") var candidate: String
    @Option(help: ArgumentHelp("Merge another capture into the baseline (repeatable).", valueName: "path")) var baselineAlso: [String] = []
    @Option(help: ArgumentHelp("Merge another capture into the candidate (repeatable).", valueName: "path")) var candidateAlso: [String] = []
    @OptionGroup var mapping: MappingOptions
    @Option(help: ArgumentHelp("Only tasks started at or after this time (\(TimeArgument.forms), relative to the baseline).", valueName: "time"))
    var since: TimeArgument?
    @Option(help: ArgumentHelp("Only tasks started at or before this time.", valueName: "time")) var until: TimeArgument?
    @Option(help: ArgumentHelp("Only this product (repeatable; as named after --map-product).", valueName: "id")) var product: [String] = []
    @Option(help: ArgumentHelp("Only this device (repeatable; as named after --map-device).", valueName: "name")) var device: [String] = []
    @Option(help: ArgumentHelp("Leave out this field or group, e.g. result_msg, version, latency (repeatable).", valueName: "field"))
    var ignore: [String] = []
    @Option(help: ArgumentHelp("A candidate's answer is late only when slower than this (\(DurationArgument.forms)) …", valueName: "duration"))
    var latencyBudget = DurationArgument(nanoseconds: 2_000_000_000)
    @Option(help: "… and than this many times the baseline's.") var latencyFactor = 3.0
    @Option(help: "table, json, markdown or junit.") var format: DiffFormat = .table
    @Option(help: ArgumentHelp("Also write the JUnit XML to this file.", valueName: "file")) var junit: String?

    enum DiffFormat: String, ExpressibleByArgument, CaseIterable { case table, json, markdown, junit }

    func validate() throws {
        guard latencyFactor > 0 else { throw ValidationError("--latency-factor must be positive") }
    }

    func run() throws {
        let baselines = [baseline] + baselineAlso, candidates = [candidate] + candidateAlso
        for path in baselines + candidates { _ = try CaptureSource.files(of: path) }
        let b = try CaptureConversations.read(paths: baselines, mapProduct: try mapping.products(), mapDevice: try mapping.devices())
        let c = try CaptureConversations.read(paths: candidates)
        var options = CaptureComparison.Options()
        options.ignore = Set(ignore)
        options.latencyBudget = latencyBudget.duration
        options.latencyFactor = latencyFactor
        options.products = Set(product)
        options.devices = Set(device)
        if since != nil || until != nil {
            let start = try CaptureReader(paths: baselines).next()?.message.time
            options.since = since?.resolve(start: start)
            options.until = until?.resolve(start: start)
        }
        let comparison = CaptureComparison(baseline: b, candidate: c, options: options)
        try Self.finish(comparison, format: format, junit: junit, problems: b.problems + c.problems)
    }

    /// Prints the comparison, writes the JUnit file, and exits as `diff` does: 3 when a capture
    /// was damaged, 4 when they differ. Shared with `replay --expect`.
    static func finish(_ comparison: CaptureComparison, format: DiffFormat, junit: String?, problems: [String]) throws {
        let out = StandardOutput()
        out.write(comparison.rendered(as: CaptureComparison.Format(rawValue: format.rawValue)!))
        out.flush()
        if let junit {
            do {
                try comparison.rendered(as: .junit).write(toFile: junit, atomically: true, encoding: .utf8)
            } catch {
                throw ValidationError("cannot write --junit \(junit): \(ErrorText.reason(error))")
            }
        }
        for p in problems { printError("restrace: \(p)") }
        if !problems.isEmpty { throw ExitCode(3) }
        if !comparison.isSame { throw ExitCode(4) }
    }
}
