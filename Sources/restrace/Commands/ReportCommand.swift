import ArgumentParser
import Broker
import Capture
import Foundation
import Projection

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Report on transfers: summary, tasks, throughput, failures, stalled, latency, anomalies, device, html.",
        discussion: """
        Examples:
          restrace report summary capture/
          restrace report failures capture/ --format json
          restrace report stalled --db capture/restrace.sqlite --stall-after 5m --as-of now
          restrace report tasks capture/ --device cam-042 --state failed --format csv
          restrace report throughput capture/ --bucket 10s --since +5m
          restrace report device TESTPROD01/cam-042 capture/
          restrace report html capture/ -o incident.html
          restrace report failures --db postgres://restrace@db.example:5432/fleet

        Given a capture, the projection is brought up to date first (capture/restrace.sqlite).
        """,
        subcommands: [Summary.self, Tasks.self, Throughput.self, Failures.self, Stalled.self, Latency.self, Anomalies.self, Device.self, HTML.self])
}

/// The options every report takes.
struct ReportOptions: ParsableArguments {
    @Argument(help: "Capture directories or .mcap files (projected first), unless --db is given.")
    var captures: [String] = []
    @Option(help: ArgumentHelp("Read this projection instead (made by `restrace project`): a file or a postgres:// URL.",
                               valueName: "file|url"))
    var db: String?
    @OptionGroup var password: DatabasePasswordOption
    @Option(help: ArgumentHelp("Only this capture, of a PostgreSQL projection that holds several (its path as projected).",
                               valueName: "path"))
    var capture: String?
    @Option(help: "table, json, csv or markdown.") var format: ReportFormat = .table
    @Option(help: ArgumentHelp("Only tasks started (anomalies seen) at or after this time (\(TimeArgument.forms)).", valueName: "time"))
    var since: TimeArgument?
    @Option(help: ArgumentHelp("Only tasks started at or before this time.", valueName: "time")) var until: TimeArgument?
    @Option(help: ArgumentHelp("Only this product (repeatable).", valueName: "id")) var product: [String] = []
    @Option(help: ArgumentHelp("Only this device (repeatable).", valueName: "name")) var device: [String] = []
    @Option(help: ArgumentHelp("Compute stalled as of this time, or `now` (default: the last message).", valueName: "time"))
    var asOf: AsOfArgument?
    @Option(help: ArgumentHelp("Open tasks idle longer than this are stalled (\(DurationArgument.forms)).", valueName: "duration"))
    var stallAfter = DurationArgument(nanoseconds: 120_000_000_000)
    @Option(help: ArgumentHelp("Bucket width of throughput (\(DurationArgument.forms)).", valueName: "duration"))
    var bucket = DurationArgument(nanoseconds: 60_000_000_000)
    @Option(help: "How many examples to list (anomalies).") var limit = 20

    enum ReportFormat: String, ExpressibleByArgument, CaseIterable { case table, json, csv, markdown }

    func validate() throws {
        if captures.isEmpty, db == nil { throw ValidationError("give a capture, or --db FILE") }
        if bucket.nanoseconds < 1_000_000_000 { throw ValidationError("--bucket must be at least 1s") }
    }

    /// Opens the projection, bringing it up to date first when given a capture.
    func store() throws -> any ProjectionStore {
        try password.apply()
        let path = db ?? ProjectCommand.defaultDatabase(for: captures)
        if !captures.isEmpty, !Projector.isUpToDate(paths: captures, databasePath: path) {
            do {
                _ = try ProjectCommand.project(captures: captures, db: path, rebuild: false, follow: false,
                                               stallAfter: stallAfter.duration, quiet: true)
            } catch ProjectionError.busy {
                // `project --follow` is keeping it up to date: report what it holds.
                printError("restrace: \(path) is being updated by another restrace process; reporting what it holds now")
            }
        }
        let store = try ProjectionDatabase.open(reading: path)
        return try asOfThen(store) ?? store
    }

    /// With `--as-of` before the last message, the tasks as they were then: the events up to that
    /// time projected into a temporary file (removed when the store is released), since the
    /// projection holds each task's final state.
    private func asOfThen(_ store: any ProjectionStore) throws -> (any ProjectionStore)? {
        guard case .time(let t)? = asOf else { return nil }
        let span = try Reports.span(of: store)
        let at = t.resolve(start: span.first)
        guard let last = span.last, at < last else { return nil }
        let paths = captures.isEmpty ? Projector.capturePaths(of: try store.checkpoint()) : captures
        for p in paths where !FileManager.default.fileExists(atPath: p) {
            throw ValidationError("--as-of before the projection's last message needs its capture, and \(p) is gone")
        }
        let dir = NSTemporaryDirectory() + "restrace-as-of-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let projector = try Projector(paths: paths, databasePath: dir + "/as-of.sqlite")
        projector.until = at
        _ = try projector.run(stallAfter: stallAfter.duration)
        return try SQLiteStore(readingFrom: dir + "/as-of.sqlite", removingDirectory: dir)
    }

    func filters(_ store: any ProjectionStore, kinds: [TaskKind] = [], states: [String] = []) throws -> ReportFilters {
        var f = ReportFilters()
        var span = try Reports.span(of: store)
        if let capture {
            guard let c = try store.checkpoint(ofCapture: Projector.captureID([capture])) else {
                let held = Projector.capturePaths(of: try store.checkpoint()).joined(separator: ", ")
                throw ValidationError("--capture \(capture): not in this projection (it holds \(held))")
            }
            f.capture = c.slot
            span = (c.firstTime, c.lastTime)
        }
        f.since = since?.resolve(start: span.first)
        f.until = until?.resolve(start: span.first)
        f.products = product
        f.devices = device
        f.kinds = kinds
        f.states = states
        switch asOf {
        case .now?: f.asOf = WallClock.now()
        case .time(let t)?: f.asOf = t.resolve(start: span.first)
        case nil: f.asOf = span.last
        }
        f.stallAfter = stallAfter.duration
        f.bucket = bucket.duration
        f.limit = limit
        return f
    }

    func print(_ kind: Reports.Kind, kinds: [TaskKind] = [], states: [String] = [], device: (String, String)? = nil) throws {
        let store = try store()
        let out = StandardOutput()
        try Reports.write(kind, store: store, filters: try filters(store, kinds: kinds, states: states), device: device,
                          format: Report.Format(rawValue: format.rawValue)!) { out.write($0) }
        out.flush()
    }
}

enum AsOfArgument: ExpressibleByArgument {
    case now
    case time(TimeArgument)
    init?(argument: String) {
        if argument == "now" { self = .now } else if let t = TimeArgument(argument: argument) { self = .time(t) } else { return nil }
    }
}

/// A report that takes only the options every report takes: its kind is all that differs.
protocol PlainReport: ParsableCommand {
    static var kind: Reports.Kind { get }
    var options: ReportOptions { get }
}

extension PlainReport {
    func run() throws { try options.print(Self.kind) }
}

extension ReportCommand {
    struct Summary: PlainReport {
        static let configuration = CommandConfiguration(commandName: "summary", abstract: "Capture span, tasks per kind and state, success rate, stalls, top failures, anomalies, blind windows.")
        static let kind = Reports.Kind.summary
        @OptionGroup var options: ReportOptions
    }

    struct Throughput: PlainReport {
        static let configuration = CommandConfiguration(commandName: "throughput", abstract: "Messages, tasks and bytes transferred per --bucket; the busiest bucket.")
        static let kind = Reports.Kind.throughput
        @OptionGroup var options: ReportOptions
    }

    struct Failures: PlainReport {
        static let configuration = CommandConfiguration(commandName: "failures", abstract: "Failed tasks grouped by kind, failed_by, code and message; most first.")
        static let kind = Reports.Kind.failures
        @OptionGroup var options: ReportOptions
    }

    struct Stalled: PlainReport {
        static let configuration = CommandConfiguration(commandName: "stalled", abstract: "Open tasks idle longer than --stall-after as of --as-of.")
        static let kind = Reports.Kind.stalled
        @OptionGroup var options: ReportOptions
    }

    struct Latency: PlainReport {
        static let configuration = CommandConfiguration(commandName: "latency", abstract: "Platform response time, time to first progress, duration and bytes/s, per kind.")
        static let kind = Reports.Kind.latency
        @OptionGroup var options: ReportOptions
    }

    struct Anomalies: PlainReport {
        static let configuration = CommandConfiguration(commandName: "anomalies", abstract: "Protocol anomalies: counts per kind and the most recent examples.")
        static let kind = Reports.Kind.anomalies
        @OptionGroup var options: ReportOptions
    }

    struct Tasks: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "tasks", abstract: "One row per task attempt, by start time.")
        @OptionGroup var options: ReportOptions
        @Option(help: "Only this kind: upload or download (repeatable).") var kind: [TaskKindArgument] = []
        @Option(help: "Only this state: requested, offered, transferring, done, failed, superseded or stalled (repeatable).")
        var state: [TaskStateArgument] = []
        func run() throws { try options.print(.tasks, kinds: kind.map(\.kind), states: state.map(\.rawValue)) }
    }

    struct Device: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "device", abstract: "One device's tasks and anomalies in time order.",
                                                        discussion: "Example: restrace report device TESTPROD01/cam-042 capture/")
        @Argument(help: "PRODUCT/DEVICE") var id: String
        @OptionGroup var options: ReportOptions
        func validate() throws {
            guard let slash = id.firstIndex(of: "/"), slash != id.startIndex, id.index(after: slash) != id.endIndex else {
                throw ValidationError("expected PRODUCT/DEVICE, such as TESTPROD01/cam-042")
            }
        }
        func run() throws {
            let slash = id.firstIndex(of: "/")!
            try options.print(.device, device: (String(id[..<slash]), String(id[id.index(after: slash)...])))
        }
    }
}

struct TaskKindArgument: ExpressibleByArgument {
    var kind: TaskKind
    init?(argument: String) { guard let k = TaskKind(rawValue: argument) else { return nil }; kind = k }
}

struct TaskStateArgument: ExpressibleByArgument {
    var rawValue: String
    init?(argument: String) {
        guard TaskState(rawValue: argument) != nil || argument == "stalled" else { return nil }
        rawValue = argument
    }
}
