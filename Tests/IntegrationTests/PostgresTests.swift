import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `--db postgres://…` against a real PostgreSQL server (a throwaway cluster per test): the same
/// reports as SQLite byte for byte, the same guarantees, and hostile values stored exactly or refused.
@Suite struct PostgresTests {
    static let kinds = ["summary", "tasks", "throughput", "failures", "stalled", "latency", "anomalies"]
    static let formats = ["table", "json", "csv", "markdown"]

    /// Runs `restrace ARGS`; its status, output and errors.
    private func restrace(_ args: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try runProcess(restraceExecutable, args, environment: environment)
    }

    /// What each report prints (status and standard output) from the projection `db`, with and
    /// without filters, for the device `device` too, and the HTML page with `db` spelled `DB`.
    private func reports(_ db: String, device: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for kind in Self.kinds {
            for format in Self.formats {
                for (label, filters) in [("all", [String]()), ("filtered", ["--product", "TESTPROD01", "--since", "+1m", "--stall-after", "30s"])] {
                    let r = try restrace(["report", kind, "--db", db, "--format", format] + filters)
                    out["\(kind) \(format) \(label)"] = "exit \(r.status)\n" + r.text
                }
            }
        }
        for format in ["table", "json"] {
            let r = try restrace(["report", "device", device, "--db", db, "--format", format])
            out["device \(format)"] = "exit \(r.status)\n" + r.text
        }
        let html = try restrace(["report", "html", "--db", db])
        out["html"] = "exit \(html.status)\n" + html.text.replacingOccurrences(of: db, with: "DB")
        return out
    }

    /// The reports (`report ARGS` for each of `reports`, in each of `formats`) that differ between
    /// the projections `a` and `b` (`bOptions` added to b's), or that do not end with exit 0.
    private func differingReports(_ a: String, _ b: String, reports: [[String]] = PostgresTests.kinds.map { [$0] },
                                  formats: [String] = ["json"], bOptions: [String] = []) throws -> [String] {
        var differing: [String] = []
        for args in reports {
            for format in formats {
                let want = try restrace(["report"] + args + ["--db", a, "--format", format])
                let got = try restrace(["report"] + args + ["--db", b, "--format", format] + bOptions)
                if want.status != 0 || got.status != 0 || got.out != want.out {
                    differing.append("report \(args.joined(separator: " ")) \(format): exit \(want.status)/\(got.status) \(got.err)")
                }
            }
        }
        return differing
    }

    /// A capture at `dir` made by `restrace import` of JSON Lines (`restrace cat --format jsonl`).
    private func importCapture(_ jsonl: String, to dir: String) throws -> String {
        let imported = try runProcess(restraceExecutable, ["import", "--format", "jsonl", "-", "--out", dir], stdin: Data(jsonl.utf8))
        try #require(imported.status == 0, "\(imported.err)")
        return dir
    }

    /// The day partitions of `event_rows` in `database`, by name, space-separated.
    private func partitions(_ pg: TestPostgres, _ database: String) throws -> String {
        try pg.psql(database, """
            SELECT coalesce(string_agg(relname::text, ' ' ORDER BY relname), '') FROM pg_inherits JOIN pg_class ON oid = inhrelid
            WHERE inhparent = 'event_rows'::regclass
            """)
    }

    /// The first task's PRODUCT/DEVICE in a projection.
    private func firstDevice(_ db: String) throws -> String {
        let tasks = try JSONSerialization.jsonObject(with: restrace(["report", "tasks", "--db", db, "--format", "json"]).out) as? [[String: Any]]
        guard let t = tasks?.first else { return "none/none" }
        return "\(t["product"]!)/\(t["device"]!)"
    }

    @Test func everyReportOfEveryFixtureIsTheSameAsOnSQLite() throws {
        let pg = try TestPostgres()
        defer { pg.stop() }
        let root = repositoryRoot.appendingPathComponent("fixtures").path
        let fixtures = try FileManager.default.contentsOfDirectory(atPath: root).sorted()
            .filter { FileManager.default.fileExists(atPath: "\(root)/\($0)/capture") }
        #expect(fixtures.count >= 6)
        let dir = temporaryDirectory("pg-fixtures")
        defer { cleanup(dir) }
        let differences = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: fixtures.count) { i in
            let name = fixtures[i]
            do {
                let capture = "\(root)/\(name)/capture"
                let database = "fixture_" + name.replacingOccurrences(of: "-", with: "_")
                try pg.createDatabase(database)
                let sqlite = "\(dir)/\(name).sqlite", postgres = pg.url(database)
                for db in [sqlite, postgres] {
                    let r = try restrace(["project", capture, "--db", db, "--quiet"])
                    if r.status != 0 { differences.mutate { $0.append("\(name): project --db \(db) exit \(r.status): \(r.err)") } }
                }
                let device = try firstDevice(sqlite)
                let expected = try reports(sqlite, device: device), seen = try reports(postgres, device: device)
                for (key, text) in expected.sorted(by: { $0.key < $1.key }) where seen[key] != text {
                    differences.mutate { $0.append("\(name) \(key): SQLite\n\(text.prefix(600))\nPostgreSQL\n\(seen[key]?.prefix(600) ?? "-")") }
                }
                #expect(expected["summary json all"]?.hasPrefix("exit 0\n{") == true)
            } catch {
                differences.mutate { $0.append("\(name): \(error)") }
            }
        }
        #expect(differences.value.isEmpty, "\(differences.value.joined(separator: "\n\n"))")
    }

    /// A projector killed with SIGKILL, and a server stopped at once (as by a crash) under another,
    /// each resumed: the same projection as one run, with every event once.
    @Test func aKilledProjectorAndARestartedServerCountNothingTwice() throws {
        let pg = try TestPostgres()
        defer { pg.stop() }
        let dir = temporaryDirectory("pg-resume")
        defer { cleanup(dir) }
        let capture = dir + "/capture"
        let sim = try restrace(["simulate", "--out", capture, "--devices", "500", "--duration", "30m"])
        try #require(sim.status == 0, "\(sim.err)")
        for name in ["once", "killed", "restarted"] { try pg.createDatabase(name) }
        #expect(try restrace(["project", capture, "--db", pg.url("once"), "--quiet"]).status == 0)
        let total = try Int(pg.psql("once", "SELECT events FROM checkpoint"))!
        #expect(total > 300_000)

        /// Starts a projection into `database` and calls `interrupt` once its first batch is committed.
        func interrupted(_ database: String, _ interrupt: (Process) throws -> Void) throws -> (status: Int32, errors: String) {
            let errors = dir + "/\(database).err"
            let p = try startRestrace(["project", capture, "--db", pg.url(database)], errors: errors)
            var committed = 0
            while p.isRunning, committed == 0 {
                committed = Int((try? pg.psql(database, "SELECT coalesce(max(events), 0) FROM checkpoint")) ?? "") ?? 0
                Thread.sleep(forTimeInterval: 0.01)
            }
            #expect(committed > 0 && committed < total, "interrupted after \(committed) of \(total) events")
            try interrupt(p)
            p.waitUntilExit()
            return (p.terminationStatus, (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")
        }

        let killed = try interrupted("killed") { kill($0.processIdentifier, SIGKILL) }
        #expect(killed.status == 9 || killed.status != 0)
        // What was committed is whole: the rows and the checkpoint agree.
        let whole = "SELECT (SELECT count(*) FROM event_rows) + (SELECT count(*) FROM recorder_events) = (SELECT events FROM checkpoint)"
        #expect(try pg.psql("killed", whole) == "t")

        let restarted = try interrupted("restarted") { _ in
            try pg.halt(immediately: true)
            try pg.start()
        }
        #expect(restarted.status == 1)
        #expect(restarted.errors.contains(pg.url("restarted")), "\(restarted.errors)")
        #expect(try pg.psql("restarted", whole) == "t")

        // --rebuild of a database's only capture starts it over (emptied, its indexes built again after
        // the rows), and gives the same projection.
        let before = try Self.kinds.map { try restrace(["report", $0, "--db", pg.url("once"), "--format", "json"]).text }
        let again = try restrace(["project", capture, "--db", pg.url("once"), "--rebuild"])
        #expect(again.status == 0 && again.err.contains("rebuilding"), "\(again.err)")
        #expect(try Self.kinds.map { try restrace(["report", $0, "--db", pg.url("once"), "--format", "json"]).text } == before)
        #expect(try pg.psql("once", "SELECT count(*) FROM pg_indexes WHERE indexname LIKE '%\\_by\\_%'") == "9")

        for name in ["killed", "restarted"] {
            let r = try restrace(["project", capture, "--db", pg.url(name), "--quiet"])
            #expect(r.status == 0, "\(r.err)")
            #expect(try pg.psql(name, "SELECT count(*) FROM event_rows") == pg.psql("once", "SELECT count(*) FROM event_rows"))
            #expect(try pg.psql(name, whole) == "t")
            #expect(try differingReports(pg.url("once"), pg.url(name)) == [], "\(name)")
        }
    }

    @Test func oneProjectorAtATimeAndOtherDatabasesAreLeftAlone() throws {
        let pg = try TestPostgres()
        defer { pg.stop() }
        let dir = temporaryDirectory("pg-lock")
        defer { cleanup(dir) }
        let cleanDay = repositoryRoot.appendingPathComponent("fixtures/clean-day/capture").path
        let stalled = repositoryRoot.appendingPathComponent("fixtures/stalled-fleet/capture").path
        try pg.createDatabase("shared")
        let shared = pg.url("shared")

        // A projector following the capture holds the projection; a second is refused, reports read on.
        let follower = try startRestrace(["project", cleanDay, "--db", shared, "--follow"])
        #expect(waitUntil(20) { (try? pg.psql("shared", "SELECT count(*) FROM checkpoint WHERE events > 0")) == "1" })
        let second = try restrace(["project", cleanDay, "--db", shared])
        #expect(second.status == 1)
        #expect(second.err.contains("another restrace process is updating this projection"), "\(second.err)")
        #expect(try restrace(["report", "summary", "--db", shared]).status == 0)
        #expect(interrupt(follower) == 0)

        // The same tables and columns, in the same order, as an SQLite projection; devices, traffic
        // and recorder events also say which capture they come from.
        let sqliteFile = dir + "/shared.sqlite"
        #expect(try restrace(["project", cleanDay, "--db", sqliteFile, "--quiet"]).status == 0)
        for table in ["tasks", "event_rows", "topics", "anomalies", "devices", "traffic", "recorder_events", "checkpoint", "statistics", "events"] {
            let sqlite = try runProcess("/usr/bin/sqlite3", [sqliteFile, "SELECT name FROM pragma_table_info('\(table)')"]).text
                .split(separator: "\n").map(String.init)
            let postgres = try pg.psql("shared", "SELECT column_name FROM information_schema.columns WHERE table_name = '\(table)' ORDER BY ordinal_position")
                .split(separator: "\n").map(String.init)
            let extra = ["devices", "traffic", "recorder_events"].contains(table) ? ["capture"] : []
            #expect(postgres == sqlite + extra, "\(table)")
        }

        // Another capture goes in beside it; --rebuild starts over only the capture it names.
        let other = try restrace(["project", stalled, "--db", shared])
        #expect(other.status == 0, "\(other.err)")
        #expect(try pg.psql("shared", "SELECT count(*) FROM checkpoint") == "2")
        let before = try pg.psql("shared", "SELECT count(*) FROM tasks")
        let rebuilt = try restrace(["project", stalled, "--db", shared, "--rebuild"])
        #expect(rebuilt.status == 0 && rebuilt.err.contains("rebuilding"), "\(rebuilt.err)")
        #expect(try pg.psql("shared", "SELECT count(*) FROM tasks") == before)
        #expect(try pg.psql("shared", "SELECT count(*) FROM tasks WHERE id <= \(1 << 40)") != "0")  // the first capture's, kept

        // Another projection version is rebuilt by project, and refused by report.
        try pg.psql("shared", "UPDATE checkpoint SET projection_version = 7")
        let old = try restrace(["report", "summary", "--db", shared])
        #expect(old.status == 1 && old.err.contains("version 7"), "\(old.err)")
        #expect(try restrace(["project", stalled, "--db", shared]).err.contains("rebuilding"))
        #expect(try restrace(["report", "summary", "--db", shared]).status == 0)

        // A database with someone else's tasks table is never touched.
        try pg.createDatabase("other_tables")
        try pg.psql("other_tables", "CREATE TABLE tasks (x int); INSERT INTO tasks VALUES (42)")
        let foreign = try restrace(["project", cleanDay, "--db", pg.url("other_tables")])
        #expect(foreign.status == 1 && foreign.err.contains("not restrace's"), "\(foreign.err)")
        #expect(try pg.psql("other_tables", "SELECT x FROM tasks") == "42")
        let missing = try restrace(["report", "summary", "--db", pg.url("postgres")])
        #expect(missing.status == 1 && missing.err.contains("no restrace projection"), "\(missing.err)")

        // Passwords: from the environment or a file, never from the URL; a wrong one is said.
        let secured = pg.url("shared", user: TestPostgres.passwordUser)
        let withEnv = try restrace(["report", "summary", "--db", secured], environment: ["RESTRACE_DB_PASSWORD": TestPostgres.password])
        #expect(withEnv.status == 0, "\(withEnv.err)")
        let file = dir + "/password"
        try (TestPostgres.password + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try restrace(["report", "summary", "--db", secured, "--db-password-file", file]).status == 0)
        let wrong = try restrace(["report", "summary", "--db", secured], environment: ["RESTRACE_DB_PASSWORD": "nope"])
        #expect(wrong.status == 1 && wrong.err.contains("password authentication failed"), "\(wrong.err)")
        let inURL = try restrace(["report", "summary", "--db", secured.replacingOccurrences(of: "@", with: ":nope@")])
        #expect(inURL.status == 1 && inURL.err.contains("RESTRACE_DB_PASSWORD"), "\(inURL.err)")
        let down = try restrace(["report", "summary", "--db", "postgres://restrace@127.0.0.1:\(LoopbackPort.free())/x"])
        #expect(down.status == 1 && down.err.contains("Connection refused"), "\(down.err)")
    }

    /// Two projectors of two captures, at the same time, into one database: every report as
    /// from one projector of both captures merged (`report tasks` as a set: tasks that started
    /// in the same nanosecond in both captures are numbered in another order); `--capture` gives
    /// one capture's reports as its own projection would.
    @Test func twoProjectorsOfTwoCapturesMakeTheMergedProjection() throws {
        let pg = try TestPostgres()
        defer { pg.stop() }
        let dir = temporaryDirectory("pg-two")
        defer { cleanup(dir) }
        let first = repositoryRoot.appendingPathComponent("fixtures/clean-day/capture").path
        // The second capture: another fleet (its products renamed), as a second recorder would see.
        let lines = try restrace(["cat", repositoryRoot.appendingPathComponent("fixtures/failure-storm/capture").path, "--format", "jsonl"])
        let second = try importCapture(lines.text.replacingOccurrences(of: "TESTPROD0", with: "OTHERPROD0"), to: dir + "/second")
        try pg.createDatabase("fleet")
        let fleet = pg.url("fleet")
        let a = try startRestrace(["project", first, "--db", fleet], errors: dir + "/a.err")
        let b = try startRestrace(["project", second, "--db", fleet], errors: dir + "/b.err")
        a.waitUntilExit(); b.waitUntilExit()
        #expect(a.terminationStatus == 0 && b.terminationStatus == 0,
                "\((try? String(contentsOfFile: dir + "/a.err", encoding: .utf8)) ?? "") \((try? String(contentsOfFile: dir + "/b.err", encoding: .utf8)) ?? "")")
        let merged = dir + "/merged.sqlite"
        #expect(try restrace(["project", first, second, "--db", merged, "--quiet"]).status == 0)
        #expect(try differingReports(merged, fleet, reports: Self.kinds.filter { $0 != "tasks" }.map { [$0] }, formats: ["json", "table"]) == [])
        let want = try restrace(["report", "tasks", "--db", merged, "--format", "csv"]).text.split(separator: "\n").sorted()
        let got = try restrace(["report", "tasks", "--db", fleet, "--format", "csv"]).text.split(separator: "\n").sorted()
        #expect(got == want && got.count > 200)
        #expect(try restrace(["report", "summary", "--db", fleet, "--format", "json"]).text.contains("\"products\":4"))

        // --capture narrows every report to one of them: as that capture's projection alone.
        let alone = dir + "/alone.sqlite"
        #expect(try restrace(["project", second, "--db", alone, "--quiet"]).status == 0)
        #expect(try differingReports(alone, fleet, bOptions: ["--capture", second]) == [])
        let unknown = try restrace(["report", "summary", "--db", fleet, "--capture", dir + "/nowhere"])
        #expect(unknown.status == 2 && unknown.err.contains("not in this projection"), "\(unknown.err)")
    }

    /// `event_rows` is partitioned by UTC day, and `project --retain` drops the days that ended
    /// before the capture's last message less the span (in SQLite, each older event): the reports,
    /// made of tasks and counts, stay as they were.
    @Test func retentionDropsWholeOldDaysAndKeepsTheReports() throws {
        let pg = try TestPostgres()
        defer { pg.stop() }
        let dir = temporaryDirectory("pg-retain")
        defer { cleanup(dir) }
        // Four days of a small fleet, ten minutes at noon each, in one capture.
        var lines = ""
        for day in 23...26 {
            let out = dir + "/day\(day)"
            let sim = try restrace(["simulate", "--devices", "4", "--duration", "10m", "--seed", "\(day)",
                                    "--start", "2026-11-\(day)T12:00:00Z", "--out", out])
            try #require(sim.status == 0, "\(sim.err)")
            lines += try restrace(["cat", out, "--format", "jsonl"]).text
        }
        let capture = try importCapture(lines, to: dir + "/capture")

        try pg.createDatabase("everything")
        try pg.createDatabase("kept")
        #expect(try restrace(["project", capture, "--db", pg.url("everything"), "--quiet"]).status == 0)
        #expect(try partitions(pg, "everything") == "event_rows_20261123 event_rows_20261124 event_rows_20261125 event_rows_20261126")
        let kept = try restrace(["project", capture, "--db", pg.url("kept"), "--retain", "1d"])
        #expect(kept.status == 0, "\(kept.err)")
        #expect(kept.text.contains("retention: dropped 2 days of events before 2026-11-25T12:"), "\(kept.text)")
        #expect(try partitions(pg, "kept") == "event_rows_20261125 event_rows_20261126")
        let fromDay25 = try pg.psql("everything", "SELECT count(*) FROM events WHERE time >= 1795564800000000000")
        #expect(try pg.psql("kept", "SELECT count(*) FROM events") == fromDay25 && fromDay25 != "0")
        #expect(try pg.psql("kept", "SELECT count(*) FROM tasks") == pg.psql("everything", "SELECT count(*) FROM tasks"))
        #expect(try differingReports(pg.url("everything"), pg.url("kept"), formats: ["json", "table"]) == [])
        // Run again: nothing new, nothing more to drop, no error.
        let again = try restrace(["project", capture, "--db", pg.url("kept"), "--retain", "1d"])
        #expect(again.status == 0 && again.text.contains("dropped 0 days"), "\(again.text) \(again.err)")
        // Following, the old days go once it has caught up, without waiting for the end.
        try pg.createDatabase("followed")
        let follower = try startRestrace(["project", capture, "--db", pg.url("followed"), "--follow", "--retain", "1d", "--quiet"],
                                         errors: dir + "/follow.err")
        let wanted = "event_rows_20261125 event_rows_20261126"
        var left = ""
        for _ in 0..<300 where follower.isRunning {
            left = (try? partitions(pg, "followed")) ?? ""
            if left == wanted { break }
            usleep(100_000)
        }
        #expect(follower.isRunning && left == wanted, "\(left): \((try? String(contentsOfFile: dir + "/follow.err", encoding: .utf8)) ?? "")")
        follower.interrupt()
        follower.waitUntilExit()
        #expect(follower.terminationStatus == 0)

        // SQLite: each event older than the cutoff goes, the rest stays.
        let sqlite = dir + "/kept.sqlite"
        let lite = try restrace(["project", capture, "--db", sqlite, "--retain", "36h"])
        #expect(lite.status == 0, "\(lite.err)")
        let last = try pg.psql("everything", "SELECT max(time) FROM events")
        let cutoff = try #require(Int64(last)) - 36 * 3_600_000_000_000
        let older = try pg.psql("everything", "SELECT count(*) FROM events WHERE time < \(cutoff)")
        #expect(lite.text.contains("retention: dropped \(older) events before 2026-11-25T00:"), "\(lite.text)")
        #expect(try differingReports(pg.url("everything"), sqlite, formats: ["json"]) == [])
    }

    /// A key tried again long after its last attempt left the projector's memory (archived after
    /// two idle minutes): the store numbers the new attempts (two in one batch, too), at the end of
    /// a fresh projection and in the batch of a later run, and a late report reads the latest
    /// attempt back from the store, in SQLite and PostgreSQL alike.
    @Test func attemptsOfKeysThatLeftMemoryAreNumberedByTheStore() throws {
        let pg = try TestPostgres()
        defer { pg.stop() }
        let dir = temporaryDirectory("pg-attempts")
        defer { cleanup(dir) }
        let start = 1_795_717_300_000_000_000
        var lines: [String] = []
        func send(_ ms: Int, _ direction: String, _ device: String, _ payload: String) {
            let object: [String: Any] = ["time_ns": start + ms * 1_000_000, "topic": "$resource/\(direction)/service/P1/\(device)",
                                         "qos": 0, "retain": false, "payload": payload]
            lines.append(String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self))
        }
        func upload(_ ms: Int, _ device: String, done: Bool = true) {
            send(ms, "up", device, #"{"type":"create_upload_task","name":"fw.bin","size":10,"md5sum":"x"}"#)
            send(ms + 100, "down", device, #"{"type":"create_upload_task_rsp","name":"fw.bin","size":10,"md5sum":"x","url":"http://h/fw"}"#)
            guard done else { return }
            send(ms + 200, "up", device, #"{"type":"report_upload_progress","name":"fw.bin","progress":{"state":"done","result_code":0,"result_msg":""}}"#)
            send(ms + 300, "down", device, #"{"type":"report_upload_progress_rsp","result_code":0,"result_msg":""}"#)
        }
        /// More polls than a batch holds (50 000 messages) over five minutes: the batch ends, and
        /// the tasks idle for two minutes leave memory.
        func fill(from ms: Int) { for i in 0..<50_001 { send(ms + i * 6, "up", "filler", #"{"type":"get_download_task"}"#) } }
        upload(0, "cam1"); upload(0, "cam2")
        fill(from: 1_000)
        upload(600_000, "cam1")                                // attempt 2
        fill(from: 601_000)
        upload(1_200_000, "cam1", done: false)                 // attempt 3, superseded by
        upload(1_201_000, "cam1")                              // attempt 4, in the same batch
        fill(from: 1_202_000)
        // Late: read back from the store.
        send(2_000_000, "up", "cam1", #"{"type":"report_upload_progress","name":"fw.bin","progress":{"state":"done","result_code":0,"result_msg":""}}"#)
        fill(from: 2_001_000)
        let capture = try importCapture(lines.joined(separator: "\n") + "\n", to: dir + "/capture")
        try pg.createDatabase("attempts")
        let sqlite = dir + "/p.sqlite", postgres = pg.url("attempts")
        func project() throws {
            for db in [sqlite, postgres] {
                let r = try restrace(["project", capture, "--db", db, "--quiet"])
                #expect(r.status == 0, "\(r.err)")
            }
        }
        try project()  // fresh: numbered at the end of the run
        lines = []
        upload(2_600_000, "cam1")                              // attempt 5, numbered by its own batch
        _ = try importCapture(lines.joined(separator: "\n") + "\n", to: capture)
        try project()
        #expect(try pg.psql("attempts", "SELECT string_agg(device || ' ' || attempt || ' ' || state, ', ' ORDER BY id) FROM tasks")
                == "cam1 1 done, cam2 1 done, cam1 2 done, cam1 3 superseded, cam1 4 done, cam1 5 done")
        #expect(try pg.psql("attempts", "SELECT a.kind || ' ' || t.attempt FROM anomalies a JOIN tasks t ON t.id = a.task_id") == "event_after_end 4")
        #expect(try differingReports(sqlite, postgres, reports: [["tasks"], ["anomalies"], ["summary"]], formats: ["json"]) == [])
    }

    /// Quotes, SQL in names, a 1 MiB name, escapes, and a payload that is not UTF-8 go in as
    /// values (COPY and bound parameters, never SQL text) and come out as SQLite gives them; a NUL
    /// byte, which PostgreSQL's text cannot hold, is refused with a message and nothing written.
    @Test func hostileValuesAreStoredExactlyOrRefused() throws {
        let pg = try TestPostgres()
        defer { pg.stop() }
        let dir = temporaryDirectory("pg-hostile")
        defer { cleanup(dir) }
        func line(_ second: Int, _ topic: String, _ payload: [String: Any]) throws -> String {
            let text = String(decoding: try JSONSerialization.data(withJSONObject: payload), as: UTF8.self)
            let object: [String: Any] = ["time_ns": 1_795_717_300_000_000_000 + second * 1_000_000_000, "topic": topic, "qos": 0,
                                         "retain": false, "payload": text]
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        let device = "cam'; DROP TABLE tasks; --\\\t☃"
        let up = "$resource/up/service/TESTPROD01/\(device)", down = "$resource/down/service/TESTPROD01/\(device)"
        let huge = String(repeating: "n", count: 1 << 20)
        var lines: [String] = []
        for (i, name) in ["it's \"quoted\"\n\\N\ttab.jpg", huge, "$1 ? '' ; SELECT pg_sleep(10)"].enumerated() {
            lines.append(try line(i * 3, up, ["type": "create_upload_task", "name": name, "size": 10, "md5sum": "x"]))
            lines.append(try line(i * 3 + 1, down, ["type": "create_upload_task_reply", "name": name, "url": "http://h/'x'", "result_code": 0]))
            lines.append(try line(i * 3 + 2, up, ["type": "upload_result", "name": name, "result_code": -2, "result_msg": "bad \u{7} 'msg'"]))
        }
        lines.append(#"{"time_ns":1795717399000000000,"topic":"$resource/up/service/TESTPROD01/x","qos":0,"retain":false,"payload_base64":"AP/+gA=="}"#)
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/hostile.jsonl", atomically: true, encoding: .utf8)
        let imported = try restrace(["import", "--format", "jsonl", dir + "/hostile.jsonl", "--out", dir + "/capture"])
        try #require(imported.status == 0, "\(imported.err)")

        try pg.createDatabase("hostile")
        let sqlite = dir + "/p.sqlite", postgres = pg.url("hostile")
        for db in [sqlite, postgres] {
            let r = try restrace(["project", dir + "/capture", "--db", db, "--quiet"])
            #expect(r.status == 0, "\(r.err)")
        }
        #expect(try pg.psql("hostile", "SELECT max(length(name)) FROM tasks") == String(1 << 20))
        #expect(try pg.psql("hostile", "SELECT count(*) FROM tasks") == "3")
        let reports = [["tasks"], ["anomalies"], ["failures"], ["summary"], ["device", "TESTPROD01/\(device)"]]
        #expect(try differingReports(sqlite, postgres, reports: reports, formats: ["json", "csv"]) == [])

        let nul = try line(0, up, ["type": "create_upload_task", "name": "nul\u{0}name", "size": 1, "md5sum": "x"])
        try (nul + "\n").write(toFile: dir + "/nul.jsonl", atomically: true, encoding: .utf8)
        #expect(try restrace(["import", "--format", "jsonl", dir + "/nul.jsonl", "--out", dir + "/nul"]).status == 0)
        try pg.createDatabase("nul")
        let refused = try restrace(["project", dir + "/nul", "--db", pg.url("nul")])
        #expect(refused.status == 1 && refused.err.contains("NUL byte"), "\(refused.err)")
        #expect(try pg.psql("nul", "SELECT events FROM checkpoint") == "0")
    }
}

/// A value shared between threads under a lock.
final class Locked<Value>: @unchecked Sendable {
    private var stored: Value
    private let lock = NSLock()
    init(_ value: Value) { stored = value }
    var value: Value { lock.lock(); defer { lock.unlock() }; return stored }
    func mutate(_ body: (inout Value) -> Void) { lock.lock(); body(&stored); lock.unlock() }
}
