/// The reports of `restrace report`, each a query over the projection.
public enum Reports {
    public enum Kind: String, Sendable, CaseIterable {
        case summary, tasks, throughput, failures, stalled, latency, anomalies, device
    }

    /// Runs report `kind` on `store`. `device` is `PRODUCT/DEVICE` for the device report. With a
    /// `format`, a long report builds only what that format prints.
    public static func run(_ kind: Kind, store: any ProjectionStore, filters: ReportFilters, device: (String, String)? = nil,
                           format: Report.Format? = nil) throws -> Report {
        try store.read { db in
            let c = try ReportContext(db: db, filters: filters, format: format)
            switch kind {
            case .summary: return try summary(c)
            case .tasks: return try tasks(c)
            case .throughput: return try throughput(c)
            case .failures: return try failures(c)
            case .stalled: return try stalled(c)
            case .latency: return try latency(c)
            case .anomalies: return try anomalies(c)
            case .device: return try deviceHistory(c, product: device?.0 ?? "", device: device?.1 ?? "")
            }
        }
    }

    /// Runs report `kind` and writes it in `format` through `write`. `tasks` is written row by row
    /// as it is read (hundreds of thousands of rows never sit in memory); the others are small.
    public static func write(_ kind: Kind, store: any ProjectionStore, filters: ReportFilters, device: (String, String)? = nil,
                             format: Report.Format, to write: (String) -> Void) throws {
        try store.naming { try writeReport(kind, store: store, filters: filters, device: device, format: format, to: write) }
    }

    private static func writeReport(_ kind: Kind, store: any ProjectionStore, filters: ReportFilters, device: (String, String)?,
                                    format: Report.Format, to write: (String) -> Void) throws {
        guard kind == .tasks else {
            write(try run(kind, store: store, filters: filters, device: device, format: format).rendered(as: format))
            return
        }
        try store.read { db in try writeTasks(try ReportContext(db: db, filters: filters), format: format, to: write) }
    }

    /// The capture's first and last message times as projected, for relative times and `--as-of`.
    public static func span(of store: any ProjectionStore) throws -> (first: UInt64?, last: UInt64?) {
        let c = try store.checkpoint()
        return (c.firstTime, c.lastTime)
    }
}
