import Foundation

extension Reports {
    /// `report html`: one self-contained page (inline CSS, SVG and a few lines of script; no
    /// request leaves it) with the summary, tasks and traffic over time, failure causes and their
    /// course, stalled transfers, response-time and duration distributions and the anomalies, the
    /// recorder's blind windows shaded on every time chart. `title` names what it reports on.
    public static func html(store: any ProjectionStore, filters: ReportFilters, title: String) throws -> String {
        try store.naming {
            try store.read { db in
                var c = try ReportContext(db: db, filters: filters, format: nil)
                let bucket = HTMLReportPage.bucket(for: c)
                if bucket != filters.bucket.nanoseconds {
                    var wider = filters
                    wider.bucket = .nanoseconds(bucket)
                    c = try ReportContext(db: db, filters: wider, format: nil)
                }
                var page = try HTMLReportPage(title: title, context: c)
                try page.addSummary(summary(c))
                try page.addOverTime(throughput(c))
                try page.addFailures(failures(c), course: failureCourse(c))
                try page.addStalled(stalled(c))
                try page.addLatency(latency(c), response: measureValues(.response, c), duration: measureValues(.duration, c))
                try page.addAnomalies(anomalies(c))
                return page.finished()
            }
        }
    }

    /// Failed tasks per bucket of their end and root cause.
    static func failureCourse(_ c: ReportContext) throws -> [(bucket: UInt64, cause: String, tasks: Double)] {
        let w = c.taskConditions()
        let bucket = Int64(c.filters.bucket.nanoseconds)
        return try c.db.all("""
            SELECT t.finished_at / ? * ? AS b, t.kind, t.failed_by, t.result_code, t.result_msg, count(*) AS n
            FROM tasks t WHERE t.state = 'failed' AND t.finished_at IS NOT NULL AND \(w.sql) GROUP BY 1, 2, 3, 4, 5
            """, [.integer(bucket), .integer(bucket)] + w.arguments).map { r in
            (UInt64(bitPattern: r["b"]), causeLabel(r), Double(r["n"] as Int64))
        }
    }

    /// A failure cause as one label: `download device -2 file_not_exist`.
    static func causeLabel(_ r: SQLRecord) -> String {
        [r["kind"] as String?, r["failed_by"] as String?, (r["result_code"] as Int64?).map(String.init), r["result_msg"] as String?]
            .compactMap { $0 }.joined(separator: " ")
    }

    /// A measure's values (in its printed unit) per kind over the tasks the filters match.
    static func measureValues(_ m: Measure, _ c: ReportContext) throws -> [TaskKind: [Double]] {
        let w = c.taskConditions()
        var values: [TaskKind: [Double]] = [:]
        for r in try c.db.all("SELECT t.kind, \(m.expression) AS v FROM tasks t WHERE \(m.condition) AND \(w.sql)", w.arguments) {
            if let kind = TaskKind(rawValue: r["kind"]), let v = r["v"] as Double? { values[kind, default: []].append(v / m.scale) }
        }
        return values
    }
}
