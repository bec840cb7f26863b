import Capture

/// One UTC day of `event_rows` in PostgreSQL: a partition of its own, `event_rows_20261126`, so
/// that retention drops whole days (`DROP TABLE`) instead of deleting millions of rows.
struct EventPartition: Hashable {
    /// Days since the Unix epoch (negative for times before it: an event's time is the recorder's
    /// clock, stored as a signed `bigint`).
    let day: Int64

    static let dayLength: Int64 = 86_400_000_000_000

    init(day: Int64) { self.day = day }

    /// The partition that holds an event at `time` (ns, as stored).
    init(time: Int64) {
        day = time >= 0 ? time / Self.dayLength : -((-(time + 1)) / Self.dayLength) - 1
    }

    /// `event_rows_20261126`; days outside years 1970–2500 are named by their number.
    var name: String {
        guard day >= 0, day < 193_000 else { return "event_rows_day_\(day < 0 ? "m\(-day)" : "\(day)")" }
        let date = Timestamp.format(UInt64(day) * UInt64(Self.dayLength), fractionDigits: 0).prefix(10)
        return "event_rows_" + date.filter { $0 != "-" }
    }

    /// The partition's bounds as PostgreSQL takes them: the day's first ns, and the next day's
    /// (MINVALUE or MAXVALUE at the ends of `bigint`).
    var bounds: (from: String, to: String) {
        let (from, low) = day.multipliedReportingOverflow(by: Self.dayLength)
        let (to, high) = (day + 1).multipliedReportingOverflow(by: Self.dayLength)
        return (low ? "MINVALUE" : String(from), high ? "MAXVALUE" : String(to))
    }

    var createStatement: String {
        "CREATE TABLE IF NOT EXISTS \(name) PARTITION OF event_rows FOR VALUES FROM (\(bounds.from)) TO (\(bounds.to))"
    }

    /// The partitions `event_rows` has: their names and the first ns past each (nil: MAXVALUE).
    static let listQuery = """
        SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'event_rows'::regclass ORDER BY 1
        """

    /// The upper bound of `FOR VALUES FROM (a) TO (b)`, as `pg_get_expr` prints it.
    static func upperBound(_ bound: String) -> Int64? {
        guard let to = bound.range(of: " TO (") else { return nil }
        return Int64(bound[to.upperBound...].filter { $0.isNumber || $0 == "-" })
    }
}
