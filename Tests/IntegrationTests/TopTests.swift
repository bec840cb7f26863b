import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport

/// `restrace top` as a person sees it: under tmux (send-keys, capture-pane) against a live
/// simulated fleet recorded by `record`, its numbers checked against `report summary`.
@Suite(.serialized) struct TopTests {
    let session = "restrace-top-\(getpid())"

    /// Runs tmux and gives its output (`runDetached`: the server it forks would hold a pipe).
    @discardableResult
    func tmux(_ args: [String]) throws -> String { runDetached("/usr/bin/tmux", args).output }

    func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", session]) }

    /// The total columns of a kind's row: started, done, failed, stalled.
    func totals(_ screen: String, _ kind: String) -> [Int]? {
        guard let line = screen.split(separator: "\n").first(where: { $0.hasPrefix(kind + "s ") }) else { return nil }
        let t = line.split(separator: " ").map(String.init)
        guard t.count == 14 else { return nil }
        return [t[9], t[10], t[11], t[13]].compactMap { Int($0) }
    }

    /// The same four from `report summary --format json`, with stalled of both kinds together.
    func summary(_ args: [String]) throws -> (upload: [Int], download: [Int], stalled: Int) {
        let r = try runProcess(restraceExecutable, ["report", "summary"] + args + ["--format", "json"])
        let json = try JSONSerialization.jsonObject(with: r.out) as! [String: Any]
        let tasks = json["tasks"] as! [String: [String: Int]]
        func row(_ k: String) -> [Int] { [tasks[k]!.values.reduce(0, +), tasks[k]!["done"]!, tasks[k]!["failed"]!] }
        return (row("upload"), row("download"), json["stalled"] as! Int)
    }

    /// Waits until `screen` satisfies `condition` (or `seconds` passed) and gives the last screen.
    func waitFor(_ seconds: Double, _ condition: (String) -> Bool) throws -> String {
        let end = Date().addingTimeInterval(seconds)
        var s = try screen()
        while !condition(s), Date() < end {
            Thread.sleep(forTimeInterval: 0.2)
            s = try screen()
        }
        return s
    }

    @Test func theScreenFollowsALiveFleetAndAgreesWithReportSummary() throws {
        let dir = temporaryDirectory("top")
        let broker = try TestBroker()
        defer { broker.stop(); _ = try? tmux(["kill-session", "-t", session]); cleanup(dir) }
        let url = "mqtt://127.0.0.1:\(broker.port)"
        let recorder = try startRestrace(["record", "--broker", url, "--out", dir + "/cap", "--flush-interval", "200ms"])
        Thread.sleep(forTimeInterval: 1)
        try tmux(["new-session", "-d", "-s", session, "-x", "200", "-y", "50",
                  "\(restraceExecutable) top \(dir)/cap --interval 300ms; echo EXITED $?; sleep 60"])
        // The fleet runs 60 simulated seconds at 6 times real time while the screen follows.
        let fleet = try startRestrace(["simulate", "--broker", url, "--devices", "30", "--duration", "60s", "--speed", "6",
                                       "--failure-rate", "0.3", "--seed", "5"])
        let during = try waitFor(15) { (totals($0, "upload")?.first ?? 0) > 5 }
        #expect(during.contains("restrace top"), "\(during)")
        #expect((totals(during, "upload")?.first ?? 0) > 5, "the screen follows the capture as it grows: \(during)")
        fleet.waitUntilExit()
        #expect(fleet.terminationStatus == 0)

        // Once the fleet is done and flushed, the screen settles on the report's numbers.
        Thread.sleep(forTimeInterval: 1.5)
        var expected = try summary([dir + "/cap"])
        var settled = try waitFor(5) { s in totals(s, "upload").map { Array($0.prefix(3)) } == expected.upload }
        expected = try summary([dir + "/cap"])
        settled = try waitFor(3) { s in totals(s, "upload").map { Array($0.prefix(3)) } == expected.upload }
        let up = totals(settled, "upload"), down = totals(settled, "download")
        #expect(up.map { Array($0.prefix(3)) } == expected.upload, "\(settled)")
        #expect(down.map { Array($0.prefix(3)) } == expected.download, "\(settled)")
        #expect((up?[3] ?? -1) + (down?[3] ?? -1) == expected.stalled, "\(settled)")
        #expect(expected.upload[0] > 20)

        // --once --format json says the same.
        let once = try runProcess(restraceExecutable, ["top", dir + "/cap", "--once", "--format", "json"])
        let json = (try JSONSerialization.jsonObject(with: once.out) as? [String: Any] ?? [:]).compactMapValues { $0 as? [String: Any] }
        let total = (json["upload"]?["total"] as? [String: Any]) ?? [:]
        #expect([total["started"] as? Int, total["done"] as? Int, total["failed"] as? Int].compactMap { $0 } == expected.upload, "\(once.text)")
        #expect(((json["upload"]?["window"] as? [String: Any])?.keys.sorted() ?? []).contains("p95_response_s"))
        #expect(json["recorder"]?["connected"] as? Bool == true)

        // Keys: a window, a filter by product, pause, quit.
        try tmux(["send-keys", "-t", session, "4"])
        #expect(try waitFor(3) { $0.contains("window 1h") }.contains("window 1h"))
        try tmux(["send-keys", "-t", session, "f"])
        try tmux(["send-keys", "-t", session, "-l", "TESTPROD01"])
        try tmux(["send-keys", "-t", session, "Enter"])
        let product = try summary([dir + "/cap", "--product", "TESTPROD01"])
        let filtered = try waitFor(3) { s in s.contains("filter TESTPROD01") && totals(s, "upload").map { Array($0.prefix(3)) } == product.upload }
        #expect(totals(filtered, "upload").map { Array($0.prefix(3)) } == product.upload, "\(filtered)")
        #expect(totals(filtered, "download").map { Array($0.prefix(3)) } == product.download, "\(filtered)")
        #expect(product.upload[0] < expected.upload[0])
        try tmux(["send-keys", "-t", session, "p"])
        #expect(try waitFor(3) { $0.contains("PAUSED") }.contains("PAUSED"))
        try tmux(["send-keys", "-t", session, "q"])
        let after = try waitFor(5) { $0.contains("EXITED") }
        #expect(after.contains("EXITED 0"), "\(after)")
        #expect(!after.contains("restrace top ·"), "the alternate screen is left on exit: \(after)")
        #expect(interrupt(recorder) == 0)
    }

    @Test func withoutATerminalItPrintsPlainBlocksAndDeviceTextIsEscaped() throws {
        let dir = temporaryDirectory("top-plain")
        defer { cleanup(dir) }
        // A failure message with terminal escapes in it, as a hostile device might send.
        let lines = [
            #"{"time_ns":1795717359000000000,"topic":"$resource/up/service/P1/d1","qos":1,"retain":false,"payload":"{\"type\":\"create_upload_task\",\"size\":10,\"name\":\"a.bin\",\"md5sum\":\"x\"}"}"#,
            #"{"time_ns":1795717359100000000,"topic":"$resource/down/service/P1/d1","qos":1,"retain":false,"payload":"{\"type\":\"create_upload_task_rsp\",\"size\":10,\"name\":\"a.bin\",\"md5sum\":\"x\",\"url\":\"https://h/x\"}"}"#,
            #"{"time_ns":1795717359200000000,"topic":"$resource/up/service/P1/d1","qos":1,"retain":false,"payload":"{\"type\":\"report_upload_progress\",\"name\":\"a.bin\",\"progress\":{\"percent\":0,\"state\":\"fail\",\"result_code\":-1,\"result_msg\":\"\\u001b[2J\\u001b[31mpwned\"}}"}"#,
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
        #expect(try runProcess(restraceExecutable, ["import", "--format", "jsonl", dir + "/in.jsonl", "--out", dir + "/cap"]).status == 0)
        let text = try runProcess(restraceExecutable, ["top", dir + "/cap", "--once"])
        #expect(text.status == 0)
        #expect(text.text.contains("\\u{1B}[2J"), "\(text.text)")
        #expect(!text.text.contains("\u{1B}"), "no escape reaches the terminal")
        #expect(text.text.contains("uploads"))

        // Not a terminal and not --once: a block per interval until interrupted.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: restraceExecutable)
        p.arguments = ["top", dir + "/cap", "--interval", "200ms"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        Thread.sleep(forTimeInterval: 1.2)
        #expect(interrupt(p) == 0)
        let blocks = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .components(separatedBy: "restrace top ·").count - 1
        #expect(blocks >= 3, "a block per interval")

        let bad = try runProcess(restraceExecutable, ["top", dir + "/cap", "--format", "json"])
        #expect(bad.status == 2 && bad.err.contains("--once"))
        let neither = try runProcess(restraceExecutable, ["top"])
        #expect(neither.status == 2)
        let missing = try runProcess(restraceExecutable, ["top", dir + "/nothing", "--once"])
        #expect(missing.status == 1 && missing.err.contains("nothing"), "\(missing.err)")

        // A damaged capture: the frame of what could be read, the damage named, exit 3 (as `cat`).
        let fixture = repositoryRoot.appendingPathComponent("fixtures/failure-storm/capture").path
        try FileManager.default.copyItem(atPath: fixture, toPath: dir + "/damaged")
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: dir + "/damaged").first { $0.hasSuffix(".mcap") })
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/damaged/" + file)))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/damaged/" + file))
        let damaged = try runProcess(restraceExecutable, ["top", dir + "/damaged", "--once"])
        #expect(damaged.status == 3 && damaged.text.contains("uploads") && damaged.err.contains(file), "\(damaged.status) \(damaged.err)")
    }

    /// `top --broker` subscribes itself: its numbers come from the broker, and with `--out` the
    /// same traffic is recorded into a capture whose `report summary` agrees with the frame.
    @Test func fromABrokerItCountsWhatTheFleetSendsAndRecordsWithOut() throws {
        let dir = temporaryDirectory("top-broker")
        let broker = try TestBroker()
        defer { broker.stop(); cleanup(dir) }
        let url = "mqtt://127.0.0.1:\(broker.port)"
        // Not a terminal: a block per interval while the fleet runs; then one JSON frame.
        let watcher = Process()
        watcher.executableURL = URL(fileURLWithPath: restraceExecutable)
        watcher.arguments = ["top", "--broker", url, "--out", dir + "/cap", "--interval", "500ms"]
        let out = Pipe()
        watcher.standardOutput = out
        watcher.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try watcher.run()
        Thread.sleep(forTimeInterval: 1)
        let once = Process()
        once.executableURL = URL(fileURLWithPath: restraceExecutable)
        once.arguments = ["top", "--broker", url, "--once", "--format", "json", "--interval", "4s"]
        let onceOut = Pipe()
        once.standardOutput = onceOut
        try once.run()
        let fleet = try runProcess(restraceExecutable, ["simulate", "--broker", url, "--devices", "10", "--duration", "20s", "--speed", "10", "--seed", "3"])
        #expect(fleet.status == 0, "\(fleet.err)")
        once.waitUntilExit()
        let json = (try? JSONSerialization.jsonObject(with: onceOut.fileHandleForReading.readDataToEndOfFile()) as? [String: Any]) ?? [:]
        let upload = (json["upload"] as? [String: Any])?["total"] as? [String: Any] ?? [:]
        #expect((upload["started"] as? Int ?? 0) > 0, "\(json)")
        #expect((json["recorder"] as? [String: Any])?["connected"] as? Bool == true)
        Thread.sleep(forTimeInterval: 1.5)
        #expect(interrupt(watcher) == 0)
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let last = text.components(separatedBy: "restrace top ·").last ?? ""
        // The recorded capture and the last block agree.
        let summary = try runProcess(restraceExecutable, ["report", "summary", dir + "/cap", "--format", "json"])
        let tasks = ((try? JSONSerialization.jsonObject(with: summary.out) as? [String: Any])?["tasks"] as? [String: [String: Int]]) ?? [:]
        let started = tasks["upload"]?.values.reduce(0, +) ?? -1
        #expect(started > 0)
        let row = last.split(separator: "\n").first { $0.hasPrefix("uploads ") }.map { $0.split(separator: " ").map(String.init) } ?? []
        #expect(row.count == 14 && Int(row[9]) == started, "\(last) \(tasks)")
    }
}
