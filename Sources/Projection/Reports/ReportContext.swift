
/// What every report is asked: which tasks (filters), as of when, and how to bucket.
public struct ReportFilters: Sendable {
    public var since: UInt64?
    public var until: UInt64?
    public var products: [String] = []
    public var devices: [String] = []
    public var kinds: [TaskKind] = []
    public var states: [String] = []
    /// The time "stalled" is computed at; nil: the capture's last message.
    public var asOf: UInt64?
    /// Idle time after which an open task is stalled.
    public var stallAfter: Duration = .seconds(120)
    /// Width of throughput buckets.
    public var bucket: Duration = .seconds(60)
    /// How many examples lists (anomalies, failures) show.
    public var limit = 20
    /// Only this capture's rows (its `checkpoint` row), of a projection that holds several.
    public var capture: Int64?

    public init() {}
}

/// A report run: the database, the filters, and the capture's span.
struct ReportContext {
    let db: any SQLConnection
    let filters: ReportFilters
    let firstTime: UInt64?
    let lastTime: UInt64?
    /// How often the recorder's clock went back, and by how much at most (ns).
    let clockStepsBack: Int64
    let largestStepBack: UInt64
    /// The format the report is printed in; nil: all (tests compare them).
    let format: Report.Format?
    /// The projection's stored statistics by key, when they are current (`ReportStatistics`).
    let statistics: [String: SQLRecord]?
    var asOf: UInt64 { filters.asOf ?? lastTime ?? 0 }
    /// Whether the report's JSON is printed, and whether its tables are: a report of thousands of
    /// rows builds only what is printed.
    var printsJSON: Bool { format == nil || format == .json }
    var printsTables: Bool { format != .json }

    init(db: any SQLConnection, filters: ReportFilters, format: Report.Format? = nil) throws {
        self.db = db
        self.filters = filters
        self.format = format
        statistics = try ReportStatistics.load(db)
        // Every capture the projection holds (PostgreSQL may hold several; SQLite one).
        let row = try db.one("""
            SELECT min(first_time) AS first_time, max(last_time) AS last_time, sum(clock_steps_back) AS clock_steps_back,
                   max(largest_step_back) AS largest_step_back FROM checkpoint WHERE \(Self.ofCapture("id", filters))
            """)
        clockStepsBack = row?["clock_steps_back"] ?? 0
        largestStepBack = UInt64(bitPattern: row?["largest_step_back"] ?? 0)
        firstTime = (row?["first_time"] as Int64?).map { UInt64(bitPattern: $0) }
        lastTime = (row?["last_time"] as Int64?).map { UInt64(bitPattern: $0) }
    }

    /// True when a product filter is better served by reading the table in order: a product holds
    /// a large share of all tasks, and reading those through an index (a random lookup
    /// each) took 5–8 times as long, which SQLite does not foresee. Not when devices are named too.
    var readsTableForProducts: Bool { !filters.products.isEmpty && filters.devices.isEmpty }

    /// `WHERE` conditions on `tasks` (aliased `t`) from the filters, with bound arguments only.
    /// With `wholeSeconds`, `--since` and `--until` take in the whole seconds they fall in (as the
    /// per-second `traffic` table does).
    func taskConditions(timeColumn: String = "t.started_at", wholeSeconds: Bool = false) -> (sql: String, arguments: [SQLValue]) {
        var conditions: [String] = []
        var args: [SQLValue] = []
        let second: UInt64 = 1_000_000_000
        if let s = filters.since { conditions.append("\(timeColumn) >= ?"); args.append(SQLValue(wholeSeconds ? s / second * second : s)) }
        if let u = filters.until { conditions.append("\(timeColumn) <= ?"); args.append(SQLValue(wholeSeconds ? u / second * second + second - 1 : u)) }
        Self.inList(readsTableForProducts ? db.dialect.unindexed("t.product") : "t.product", filters.products, &conditions, &args)
        Self.inList("t.device", filters.devices, &conditions, &args)
        Self.inList("t.kind", filters.kinds.map(\.rawValue), &conditions, &args)
        Self.inList("t.state", filters.states.filter { $0 != "stalled" }, &conditions, &args)
        if let slot = filters.capture { conditions.append(Checkpoint.ownsID("t.id", slot: slot)) }
        if filters.states.contains("stalled") {
            conditions.append("\(TaskState.isOpenSQL("t.state")) AND t.last_event_at < ?")
            args.append(SQLValue(asOf &- filters.stallAfter.nanoseconds))
        }
        return (conditions.isEmpty ? Self.everything : conditions.joined(separator: " AND "), args)
    }

    /// Conditions on `anomalies` (aliased `a`).
    func anomalyConditions() -> (sql: String, arguments: [SQLValue]) {
        var conditions: [String] = []
        var args: [SQLValue] = []
        if let s = filters.since { conditions.append("a.time >= ?"); args.append(SQLValue(s)) }
        if let u = filters.until { conditions.append("a.time <= ?"); args.append(SQLValue(u)) }
        Self.inList("a.product", filters.products, &conditions, &args)
        Self.inList("a.device", filters.devices, &conditions, &args)
        if let slot = filters.capture { conditions.append(Checkpoint.ownsID("a.event_id", slot: slot)) }
        return (conditions.isEmpty ? Self.everything : conditions.joined(separator: " AND "), args)
    }

    /// The condition when nothing is filtered.
    static let everything = "TRUE"

    /// The condition on a table's `column` holding the capture's row (`checkpoint.id`, or
    /// `devices`, `traffic` and `recorder_events`' capture) that keeps the `--capture` filter's rows.
    static func ofCapture(_ column: String, _ filters: ReportFilters) -> String {
        filters.capture.map { "\(column) = \($0)" } ?? everything
    }

    /// `ofCapture` for the tables with a `capture` column (an SQLite file has one capture, and no column).
    var ofCapture: String { Self.ofCapture(db.dialect.captureColumn, filters) }

    /// Adds `column IN (?, …)` with `values` bound, unless `values` is empty.
    private static func inList(_ column: String, _ values: [String], _ conditions: inout [String],
                               _ args: inout [SQLValue]) {
        guard !values.isEmpty else { return }
        conditions.append("\(column) IN (\(values.map { _ in "?" }.joined(separator: ", ")))")
        args.append(contentsOf: values.map { .text($0) })
    }

    func isStalled(_ t: TransferTask) -> Bool {
        t.state.isOpen && asOf >= t.lastEventAt && asOf - t.lastEventAt > filters.stallAfter.nanoseconds
    }

    /// The recorders' blind windows: from each disconnect to the same recorder's next connect (or
    /// `asOf`), in time order.
    func blindWindows() throws -> [(from: UInt64, to: UInt64, reason: String)] {
        var windows: [(UInt64, UInt64, String)] = []
        var open: [Int64: (UInt64, String)] = [:]
        for row in try db.all("SELECT time, event, detail, \(db.dialect.captureColumn) AS capture FROM recorder_events WHERE \(ofCapture) ORDER BY time, id") {
            let time = UInt64(bitPattern: row["time"])
            let capture: Int64 = row["capture"]
            switch row["event"] as String {
            case "disconnected", "connect_failed":
                if open[capture] == nil { open[capture] = (time, row["detail"]) }
            case "connected", "stopped":
                if let o = open.removeValue(forKey: capture) { windows.append((o.0, time, o.1)) }
            default: break
            }
        }
        for (_, o) in open.sorted(by: { $0.key < $1.key }) { windows.append((o.0, max(o.0, asOf), o.1)) }
        return windows.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element)
    }
}
