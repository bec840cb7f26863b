import Foundation
import Testing
import TestSupport

/// `report html` as a browser and a validator see it: `scripts/check-html-report.py` loads the
/// page in headless Chromium (a screenshot, the network log, the DOM after its script ran) and
/// parses it with html5lib in strict mode.
@Suite(.serialized) struct HTMLReportTests {
    static let fixtures = repositoryRoot.appendingPathComponent("fixtures")
    static let checker = repositoryRoot.appendingPathComponent("scripts/check-html-report.py").path

    /// Makes the page and `report summary --format json` with the same arguments, and runs the
    /// checker on them: what it saw, and its exit status.
    func check(_ reportArgs: [String], in dir: String) throws -> (status: Int32, seen: [String: Any], page: String) {
        let page = dir + "/report.html"
        let made = try runProcess(restraceExecutable, ["report", "html"] + reportArgs + ["-o", page])
        #expect(made.status == 0, "\(made.err)")
        let summary = try runProcess(restraceExecutable, ["report", "summary"] + reportArgs + ["--format", "json"])
        try summary.out.write(to: URL(fileURLWithPath: dir + "/summary.json"))
        let work = dir + "/browser"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let run = try runProcess(venvPython, [Self.checker, page, dir + "/summary.json", work])
        let seen = (try? JSONSerialization.jsonObject(with: run.out) as? [String: Any]) ?? ["output": run.text, "error": run.err]
        return (run.status, seen, (try? String(contentsOfFile: page, encoding: .utf8)) ?? "")
    }

    @Test(arguments: ["failure-storm", "blind-window"])
    func aFixturesPageIsValidDrawsEveryChartAndAgreesWithTheSummary(_ fixture: String) throws {
        let dir = temporaryDirectory("html-\(fixture)")
        defer { cleanup(dir) }
        try FileManager.default.copyItem(atPath: Self.fixtures.appendingPathComponent("\(fixture)/capture").path, toPath: dir + "/capture")
        let r = try check([dir + "/capture"], in: dir)
        #expect(r.status == 0, "\(r.seen)")
        #expect((r.seen["charts"] as? Int ?? 0) >= 8, "\(r.seen)")  // tasks ×2, messages, MB, causes, course, 2 histograms
        #expect((r.seen["figures"] as? Int ?? 0) >= 20, "\(r.seen)")
        if fixture == "blind-window" {
            #expect(r.page.contains("class=\"blind\""), "blind windows are shaded")
            #expect(r.page.contains("The recorder was blind 2 time(s)"))
        }
    }

    @Test func filtersApplyToThePageAsToEveryReport() throws {
        let dir = temporaryDirectory("html-filter")
        defer { cleanup(dir) }
        let db = dir + "/p.sqlite"
        #expect(try runProcess(restraceExecutable, ["project", Self.fixtures.appendingPathComponent("failure-storm/capture").path,
                                                    "--db", db, "--quiet"]).status == 0)
        let r = try check(["--db", db, "--product", "TESTPROD01", "--since", "+2m"], in: dir)
        #expect(r.status == 0, "\(r.seen)")
        #expect(r.page.contains("products TESTPROD01"))
    }

    @Test func namesADeviceSentAreTextNeverMarkup() throws {
        let dir = temporaryDirectory("html-hostile")
        defer { cleanup(dir) }
        let names = ["<img src=http://127.0.0.1:9/x.png>.bin", "quote\"'&amp;.bin", "ctl\u{1B}[2J\u{7}.bin",
                     String(repeating: "long", count: 25_000) + ".bin"]
        var lines = ""
        var t: UInt64 = 1_795_717_359_000_000_000
        for (i, name) in names.enumerated() {
            let escaped = String(data: try JSONSerialization.data(withJSONObject: name, options: .fragmentsAllowed), encoding: .utf8)!
            // Each failure's message names its file, so that every name is shown (in the causes).
            let escapedMessage = String(data: try JSONSerialization.data(withJSONObject: "<b>bad</b> " + name, options: .fragmentsAllowed),
                                        encoding: .utf8)!
            let device = "dev<script>alert(\(i))<\\script>"
            for (dir, payload) in [("up", "{\"type\":\"create_upload_task\",\"size\":10,\"name\":\(escaped),\"md5sum\":\"x\"}"),
                                   ("down", "{\"type\":\"create_upload_task_rsp\",\"size\":10,\"name\":\(escaped),\"md5sum\":\"x\",\"url\":\"https://h/x\"}"),
                                   ("up", "{\"type\":\"report_upload_progress\",\"name\":\(escaped),\"progress\":{\"percent\":0,\"state\":\"fail\",\"result_code\":-1,\"result_msg\":\(escapedMessage)}}")] {
                t += 100_000_000
                let line: [String: Any] = ["time_ns": t, "topic": "$resource/\(dir)/service/P1/\(device)", "qos": 1, "retain": false, "payload": payload]
                lines += String(data: try JSONSerialization.data(withJSONObject: line), encoding: .utf8)! + "\n"
            }
        }
        lines += "{\"time_ns\":\(t + 1),\"topic\":\"$resource/up/service/P1/<i>x</i>\",\"qos\":0,\"retain\":false,\"payload\":\"{not json <svg onload=alert(1)>\"}\n"
        try lines.write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
        let imported = try runProcess(restraceExecutable, ["import", "--format", "jsonl", dir + "/in.jsonl", "--out", dir + "/capture"])
        #expect(imported.status == 0, "\(imported.err)")
        let r = try check([dir + "/capture"], in: dir)
        #expect(r.status == 0, "\(r.seen)")
        #expect(!r.page.contains("<img src=http"))
        #expect(!r.page.contains("<script>alert"))
        #expect(r.page.contains("dev&lt;script&gt;alert(0)"))
        #expect(!r.page.contains("<b>bad"))
        #expect(r.page.contains("&lt;b&gt;bad&lt;/b&gt;"))
        #expect(!r.page.contains("\u{1B}"))
        #expect(r.page.contains("characters]…"), "a 100 KB name is cut in the tables")
    }

    /// The checker itself fails a page that loads something, has an empty chart or a wrong figure.
    @Test func theCheckerFailsABadPage() throws {
        let dir = temporaryDirectory("html-bad")
        defer { cleanup(dir) }
        try FileManager.default.createDirectory(atPath: dir + "/browser", withIntermediateDirectories: true)
        try """
            <!DOCTYPE html><html><head><title>bad</title></head><body>
            <svg class="chart"><title>empty</title></svg><table><tr><td data-key="stalled" data-value="7">7</td></tr></table>
            <img src="http://127.0.0.1:9/x.png" alt=""></body></html>
            """.write(toFile: dir + "/bad.html", atomically: true, encoding: .utf8)
        try "{\"stalled\": 3}".write(toFile: dir + "/summary.json", atomically: true, encoding: .utf8)
        let run = try runProcess(venvPython, [Self.checker, dir + "/bad.html", dir + "/summary.json", dir + "/browser"])
        #expect(run.status == 1)
        let problems = ((try? JSONSerialization.jsonObject(with: run.out) as? [String: Any])?["problems"] as? [String]) ?? []
        #expect(problems.contains { $0.hasPrefix("requests left the page") }, "\(problems)")
        #expect(problems.contains { $0.contains("has no marks") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("stalled:") }, "\(problems)")
    }
}
