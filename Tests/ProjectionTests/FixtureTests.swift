import Foundation
import Testing
@testable import Projection
import TestSupport

/// Every report over every fixture, in every format; tasks and failures compared field by field
/// with the expected files beside each fixture.
@Suite struct FixtureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures")
    static let names = ["sdk-dialects", "bad-input", "clean-day", "failure-storm", "stalled-fleet", "blind-window"]

    private func projected(_ name: String) throws -> (store: SQLiteStore, dir: String) {
        let dir = temporaryDirectory("fixture-\(name)")
        _ = try Projector(paths: [Self.root.appendingPathComponent("\(name)/capture").path], databasePath: dir + "/p.sqlite").run()
        return (try SQLiteStore(readingFrom: dir + "/p.sqlite"), dir)
    }

    private func json(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) }

    private func expected(_ name: String, _ file: String) throws -> [[String: Any]] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: Self.root.appendingPathComponent("\(name)/\(file)"))) as! [[String: Any]]
    }

    private func compare(_ got: [[String: Any]], _ want: [[String: Any]], _ label: String) {
        #expect(got.count == want.count, "\(label): \(got.count) rows, expected \(want.count)")
        for (i, (g, w)) in zip(got, want).enumerated() {
            #expect(Set(g.keys) == Set(w.keys), "\(label)[\(i)] keys")
            for (k, v) in w where "\(g[k] ?? "missing")" != "\(v)" {
                Issue.record("\(label)[\(i)].\(k): got \(g[k] ?? "missing"), expected \(v)")
            }
        }
    }

    @Test(arguments: names)
    func everyReportInEveryFormat(name: String) throws {
        let (store, dir) = try projected(name)
        defer { cleanup(dir) }
        for kind in Reports.Kind.allCases {
            let report = try Reports.run(kind, store: store, filters: ReportFilters(), device: ("TESTPROD01", "cam-01"))
            for format in Report.Format.allCases {
                let text = report.rendered(as: format)
                #expect(!text.isEmpty, "\(name) \(kind) \(format)")
                if format == .json { _ = try json(text) }
                if format == .csv, let t = report.tables.first {
                    #expect(text.split(separator: "\n", omittingEmptySubsequences: false).count >= t.rows.count + 1)
                }
            }
        }
        let tasks = try Reports.run(.tasks, store: store, filters: ReportFilters())
        compare(try json(tasks.json.rendered()) as! [[String: Any]], try expected(name, "expected-tasks.json"), "\(name) tasks")
        let failures = try Reports.run(.failures, store: store, filters: ReportFilters())
        compare(try json(failures.json.rendered()) as! [[String: Any]], try expected(name, "expected-failures.json"), "\(name) failures")
    }

    /// Every leaf of `want` in `got` at the same path, and no key or element more.
    private func compareTree(_ got: Any?, _ want: Any?, _ path: String) {
        switch (got, want) {
        case (let g as [String: Any], let w as [String: Any]):
            #expect(Set(g.keys) == Set(w.keys), "\(path) keys")
            for (k, v) in w { compareTree(g[k], v, "\(path).\(k)") }
        case (let g as [Any], let w as [Any]):
            #expect(g.count == w.count, "\(path): \(g.count) elements, expected \(w.count)")
            for (i, (gv, wv)) in zip(g, w).enumerated() { compareTree(gv, wv, "\(path)[\(i)]") }
        default:
            if "\(got ?? "missing")" != "\(want ?? "missing")" { Issue.record("\(path): got \(got ?? "missing"), expected \(want ?? "missing")") }
        }
    }

    /// The sdk-dialects fixture is small enough to work every report out by hand from its
    /// `messages.jsonl`; the answers, checked by hand, sit beside it.
    @Test(arguments: ["summary", "latency", "stalled", "throughput", "anomalies", "device-sensor.03"])
    func handWorkedReportsOfTheSDKDialects(report: String) throws {
        let (store, dir) = try projected("sdk-dialects")
        defer { cleanup(dir) }
        let kind = Reports.Kind(rawValue: String(report.prefix { $0 != "-" }))!
        let got = try Reports.run(kind, store: store, filters: ReportFilters(), device: ("TESTPROD01", "sensor.03"))
        let want = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.root.appendingPathComponent("sdk-dialects/expected-\(report).json")))
        compareTree(try json(got.json.rendered()), want, report)
    }

    @Test func tasksCarryExactlyTheInterfaceKeys() throws {
        let (store, dir) = try projected("sdk-dialects")
        defer { cleanup(dir) }
        let tasks = try json(Reports.run(.tasks, store: store, filters: ReportFilters()).json.rendered()) as! [[String: Any]]
        let keys: Set<String> = ["kind", "product", "device", "name", "attempt", "state", "stalled", "size", "md5sum", "last_percent",
                                 "result_code", "result_msg", "failed_by", "fail_reports", "offers", "progress_reports", "requested_at",
                                 "offered_at", "first_progress_at", "last_event_at", "finished_at", "duration_s", "bytes_per_s"]
        #expect(tasks.allSatisfy { Set($0.keys) == keys })
        #expect(tasks.compactMap { $0["last_event_at"] as? String }.allSatisfy { $0.count == 24 && $0.hasSuffix("Z") })
    }

    @Test func injectedFaultsAreFoundInTheSimulatedFixtures() throws {
        for name in ["failure-storm", "stalled-fleet", "clean-day"] {
            let injected = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.root.appendingPathComponent("\(name)/injected.json"))) as! [String: Any]
            let (store, dir) = try projected(name)
            defer { cleanup(dir) }
            let failures = try json(Reports.run(.failures, store: store, filters: ReportFilters()).json.rendered()) as! [[String: Any]]
            var found: [String: Int] = [:]
            for f in failures { found["\(f["kind"]!)/\(f["failed_by"]!)/\(f["result_code"]!)"] = f["tasks"] as? Int }
            #expect(found == (injected["failures"] as! [String: Int]), "\(name)")
            let stalled = try json(Reports.run(.stalled, store: store, filters: ReportFilters()).json.rendered()) as! [Any]
            #expect(stalled.count == injected["stalls"] as! Int, "\(name)")
        }
    }

    @Test func badInputBecomesAnomaliesOfEveryKind() throws {
        let (store, dir) = try projected("bad-input")
        defer { cleanup(dir) }
        let report = try json(Reports.run(.anomalies, store: store, filters: ReportFilters()).json.rendered()) as! [String: Any]
        let counts = Dictionary(uniqueKeysWithValues: (report["counts"] as! [[String: Any]]).map { ($0["kind"] as! String, $0["count"] as! Int) })
        #expect(counts == ["malformed_json": 6, "unknown_type": 1, "bad_topic": 2, "wrong_direction": 1, "orphan_progress": 1,
                           "orphan_response": 1, "invalid_field": 2, "percent_backwards": 1, "percent_out_of_range": 2, "event_after_end": 1])
    }

    @Test func blindWindowsAreShown() throws {
        let (store, dir) = try projected("blind-window")
        defer { cleanup(dir) }
        let summary = try json(Reports.run(.summary, store: store, filters: ReportFilters()).json.rendered()) as! [String: Any]
        #expect((summary["blind_windows"] as! [Any]).count == 2)
    }
}
