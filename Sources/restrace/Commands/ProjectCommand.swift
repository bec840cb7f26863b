import ArgumentParser
import Capture
import Foundation
import Projection

struct ProjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "project",
        abstract: "Bring the projection of a capture up to date (tasks, events, anomalies, devices), in SQLite or PostgreSQL.",
        discussion: """
        Examples:
          restrace project capture/                       (writes capture/restrace.sqlite)
          restrace project capture/ --db health.sqlite --rebuild
          restrace project capture/ --follow              (keeps following a capture being recorded)
          RESTRACE_DB_PASSWORD=… restrace project capture/ --db postgres://restrace@db.example:5432/fleet
          restrace project capture/ --db postgres://restrace@db.example/fleet --follow --retain 90d
          sqlite3 capture/restrace.sqlite 'SELECT state, count(*) FROM tasks GROUP BY 1'

        Incremental: only messages not yet projected are read. A database made by another projection \
        version or from another capture is rebuilt, with a message (in PostgreSQL, one of another capture \
        only with --rebuild: others may be reading it).
        """)

    @Argument(help: "Capture directories or .mcap files (several are merged in time order).") var captures: [String]
    @Option(help: ArgumentHelp("The SQLite file (default: CAPTURE/restrace.sqlite), or a postgres://USER@HOST:PORT/DB URL.",
                               valueName: "file|url"))
    var db: String?
    @OptionGroup var password: DatabasePasswordOption
    @Flag(help: "Start over from an empty database.") var rebuild = false
    @Flag(help: "Keep following the capture as it grows, until interrupted (Ctrl-C).") var follow = false
    @Option(help: ArgumentHelp("Idle time after which an open task counts as stalled (\(DurationArgument.forms)).", valueName: "duration"))
    var stallAfter = DurationArgument(nanoseconds: 120_000_000_000)
    @Option(help: ArgumentHelp("Drop the events older than this before the capture's last message (90d, 12h): in PostgreSQL whole days, in SQLite each event. Tasks, anomalies and counts stay.",
                               valueName: "duration"))
    var retain: DurationArgument?
    @Flag(help: "Print nothing but errors.") var quiet = false

    static func defaultDatabase(for captures: [String]) -> String {
        let first = captures[0]
        if CaptureSource.isDirectory(first) { return (first as NSString).appendingPathComponent("restrace.sqlite") }
        return (first as NSString).deletingPathExtension + ".sqlite"
    }

    func run() throws {
        try password.apply()
        let path = db ?? Self.defaultDatabase(for: captures)
        let summary = try Self.project(captures: captures, db: path, rebuild: rebuild, follow: follow,
                                       stallAfter: stallAfter.duration, retain: retain?.duration, quiet: quiet)
        if !quiet {
            print(String(format: "projected %lld events in %.2f s (%.0f events/s): %d tasks changed, %d anomalies; %lld events in %@",
                         summary.events, summary.seconds, summary.eventsPerSecond, summary.tasksChanged, summary.anomalies,
                         summary.totalEvents, path))
            if let dropped = summary.eventsDropped, let from = summary.retainedFrom {
                let what = dropped.events.map { "\($0) events" } ?? "\(dropped.days) days of events"
                print("retention: dropped \(what) before \(Timestamp.format(from, fractionDigits: 0))")
            }
        }
    }

    /// Projects with a progress line on a terminal and SIGINT handling for `--follow`; shared by `report`.
    static func project(captures: [String], db: String, rebuild: Bool, follow: Bool, stallAfter: Duration,
                        retain: Duration? = nil, quiet: Bool) throws -> Projector.Summary {
        let projector = try Projector(paths: captures, databasePath: db, rebuild: rebuild)
        projector.retain = retain
        if let reason = projector.store.rebuiltBecause, !quiet { printError("restrace: rebuilding \(db): \(reason)") }
        if follow { Interrupts.install() }
        let showProgress = stderrIsTerminal && !quiet
        var lastShown = Date.distantPast
        let summary = try projector.run(follow: follow, stallAfter: stallAfter, shouldStop: { Interrupts.requested }) { p in
            guard showProgress, Date().timeIntervalSince(lastShown) > 0.2 else { return }
            lastShown = Date()
            let at = p.lastTime.map { Timestamp.format($0, fractionDigits: 0) } ?? "-"
            printError(String(format: "\u{1B}[2K\rprojecting: %lld events, up to %@, %.0f events/s", p.events, at,
                              p.seconds > 0 ? Double(p.events) / p.seconds : 0), newline: false)
        }
        if showProgress { printError("\u{1B}[2K\r", newline: false) }
        if !quiet {
            for p in summary.captureProblems.prefix(10) { printError("restrace: warning: \(p)") }
        }
        return summary
    }
}
