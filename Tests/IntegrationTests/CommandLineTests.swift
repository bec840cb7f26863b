import Capture
import Foundation
import Testing
import TestSupport

/// The executable as a user runs it: exit codes, messages, and round trips through files.
@Suite struct CommandLineTests {
    static let fixtures = repositoryRoot.appendingPathComponent("fixtures")

    @discardableResult
    func restrace(_ args: [String], stdin: Data? = nil) throws -> ProcessResult {
        try runProcess(restraceExecutable, args, stdin: stdin)
    }

    @Test func importThenCatGivesBackTheSameLinesForBothForms() throws {
        let dir = temporaryDirectory("cli-roundtrip")
        let jsonl = Self.fixtures.appendingPathComponent("sdk-dialects/messages.jsonl").path
        // The fixture's lines carry only time_ns; `cat` writes the full form. Normalise once, then round-trip exactly.
        try restrace(["import", "--format", "jsonl", jsonl, "--out", dir + "/a"])
        let first = try restrace(["cat", dir + "/a"])
        #expect(first.status == 0)
        try first.out.write(to: URL(fileURLWithPath: dir + "/a.jsonl"))
        #expect(try restrace(["import", "--format", "jsonl", dir + "/a.jsonl", "--out", dir + "/b"]).status == 0)
        let second = try restrace(["cat", dir + "/b"])
        #expect(second.out == first.out)
        let inputLines = try String(contentsOfFile: jsonl, encoding: .utf8).split(separator: "\n").count
        #expect(String(decoding: first.out, as: UTF8.self).split(separator: "\n").count == inputLines)

        // Binary payloads round-trip through payload_base64.
        let bad = Self.fixtures.appendingPathComponent("bad-input/messages.jsonl").path
        try restrace(["import", "--format", "jsonl", bad, "--out", dir + "/c"])
        let c = try restrace(["cat", dir + "/c"])
        #expect(String(decoding: c.out, as: UTF8.self).contains(#""payload_base64":"AP/+gA==""#))
        try c.out.write(to: URL(fileURLWithPath: dir + "/c.jsonl"))
        try restrace(["import", "--format", "jsonl", dir + "/c.jsonl", "--out", dir + "/d"])
        #expect(try restrace(["cat", dir + "/d"]).out == c.out)

        // mosquitto_sub form, from standard input.
        let sub = "1795717359.768482899 $resource/up/service/P/D {\"type\":\"get_download_task\"}\n"
            + "1795717360.000000001 $resource/down/service/P/D {\"type\":\"download\",\"name\":\"a b\",\"size\":1}\n"
        #expect(try restrace(["import", "--format", "mosquitto-sub", "-", "--out", dir + "/e"], stdin: Data(sub.utf8)).status == 0)
        let e = try restrace(["cat", dir + "/e"])
        let lines = String(decoding: e.out, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].contains(#""time":"2026-11-26T18:22:39.768482899Z","time_ns":1795717359768482899"#))
        #expect(lines[1].contains(#""payload":"{\"type\":\"download\",\"name\":\"a b\",\"size\":1}""#))
        cleanup(dir)
    }

    @Test func aReportOnACaptureBeingProjectedReadsWhatIsThere() throws {
        let dir = temporaryDirectory("cli-follow")
        defer { cleanup(dir) }
        try FileManager.default.copyItem(atPath: Self.fixtures.appendingPathComponent("clean-day/capture").path, toPath: dir + "/cap")
        let follower = Process()
        follower.executableURL = URL(fileURLWithPath: restraceExecutable)
        follower.arguments = ["project", dir + "/cap", "--follow", "--quiet"]
        try follower.run()
        defer { if follower.isRunning { follower.terminate() } }
        let db = dir + "/cap/restrace.sqlite"
        #expect(waitUntil(10) { (try? restrace(["report", "summary", "--db", db]))?.status == 0 })  // the follower has begun
        // Once up to date, it is read as it is, without waiting for the follower's lock (before
        // the follower has caught up, the report says it reads what is there: a loaded machine
        // took more than one batch's time).
        var report = try restrace(["report", "summary", dir + "/cap", "--format", "json"])
        #expect(waitUntil(10) {
            report = (try? restrace(["report", "summary", dir + "/cap", "--format", "json"])) ?? report
            return report.status == 0 && report.err.isEmpty
        }, "\(report.err)")
        #expect(report.text.contains("\"messages\""))
        let second = try restrace(["project", dir + "/cap"])
        #expect(second.status == 1 && second.err.contains("another restrace process"))
        kill(follower.processIdentifier, SIGINT)
        follower.waitUntilExit()
        #expect(follower.terminationStatus == 0)
    }

    @Test func catTextEscapesControlCharacters() throws {
        let dir = temporaryDirectory("cli-escape")
        defer { cleanup(dir) }
        let line = #"{"time_ns":1795717359768482899,"topic":"$resource/up/service/P/D","payload":"{\"name\":\"a\u001b[2Jb\nc\"}"}"#
        try Data((line + "\n").utf8).write(to: URL(fileURLWithPath: dir + "/in.jsonl"))
        try restrace(["import", "--format", "jsonl", dir + "/in.jsonl", "--out", dir + "/cap"])
        let text = try restrace(["cat", dir + "/cap", "--format", "text", "--no-recorder-events"])
        #expect(text.status == 0 && !text.out.contains(0x1B) && text.text.contains(#"a\u{1B}[2Jb\nc"#), "\(text.text)")
        #expect(try restrace(["cat", dir + "/cap", "--format", "mosquitto-sub"]).out.contains(0x1B))  // byte for byte there
    }

    @Test func exitCodesFollowTheInterface() throws {
        let dir = temporaryDirectory("cli-exit")
        defer { cleanup(dir) }
        let capture = Self.fixtures.appendingPathComponent("sdk-dialects/capture").path
        // 2: bad usage, with the accepted forms in the message.
        let badTime = try restrace(["cat", capture, "--since", "yesterday"])
        #expect(badTime.status == 2)
        #expect(badTime.err.contains("RFC 3339"))
        #expect(try restrace(["report", "throughput", capture, "--bucket", "soon"]).status == 2)
        #expect(try restrace(["report", "summary"]).status == 2)
        #expect(try restrace(["replay", capture]).status == 2)
        #expect(try restrace(["frobnicate"]).status == 2)
        // 1: runtime failure naming the file.
        let missing = try restrace(["info", dir + "/nope"])
        #expect(missing.status == 1)
        #expect(missing.err.contains(dir + "/nope"))
        #expect(!missing.err.contains("Fatal error"))
        // 3: torn data, detected and reported.
        try FileManager.default.copyItem(atPath: capture, toPath: dir + "/torn")
        let file = dir + "/torn/000001.mcap"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        try bytes.prefix(bytes.count - 300).write(to: URL(fileURLWithPath: file))
        let verify = try restrace(["verify", dir + "/torn"])
        #expect(verify.status == 3)
        #expect(String(decoding: verify.out, as: UTF8.self).contains("000001.mcap"))
        #expect(try restrace(["recover", dir + "/torn"]).status == 0)
        #expect(try restrace(["verify", dir + "/torn"]).status == 0)
        // record: topic filters and TLS files are checked before connecting (2).
        for bad in [["--topic", ""], ["--topic", "a/#/b"], ["--topic", "a+/b"], ["--cafile", dir + "/none.pem"], ["--segment-size", "10"],
                    ["--flush-interval", "0s"], ["--keep-alive", "3"], ["--client-id", ""], ["--max-messages", "0"], ["--duration", "0s"]] {
            let r = try restrace(["record", "--broker", "mqtt://127.0.0.1:1", "--out", dir + "/rec"] + bad)
            #expect(r.status == 2 && r.err.contains(bad[0]) && !r.err.contains("cannot connect"), "\(bad)")
        }
        // replay: usage checked first (2), a missing capture fails before any broker is tried (1),
        // and damaged data skipped while every intact message is published gives 3.
        #expect(try restrace(["replay", capture, "--broker", "http://x"]).status == 2)
        #expect(try restrace(["replay", capture, "--dry-run", "--topic-prefix", "a/#"]).status == 2)
        let emptyID = try restrace(["replay", capture, "--broker", "mqtt://127.0.0.1:1", "--client-id", ""])
        #expect(emptyID.status == 2 && emptyID.err.contains("--client-id") && !emptyID.err.contains("cannot connect"))
        let nowhere = try restrace(["replay", dir + "/nope", "--broker", "mqtt://127.0.0.1:1"])
        #expect(nowhere.status == 1 && nowhere.err.contains(dir + "/nope") && !nowhere.err.contains("cannot connect"))
        try FileManager.default.copyItem(atPath: capture, toPath: dir + "/torn2")
        try bytes.prefix(bytes.count / 4).write(to: URL(fileURLWithPath: dir + "/torn2/000002.mcap"))  // cut inside its chunk
        let intact = try restrace(["cat", dir + "/torn2", "--no-recorder-events"]).text.split(separator: "\n").count
        let tornReplay = try restrace(["replay", dir + "/torn2", "--dry-run"])
        #expect(tornReplay.status == 3 && tornReplay.err.contains("skipped damaged data"))
        #expect(intact > 0 && tornReplay.text.split(separator: "\n").count == intact)
        // 3 again: recover leaves a file that is not MCAP as it is, and says so.
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: dir + "/notes.mcap"))
        let refused = try restrace(["recover", dir + "/notes.mcap"])
        #expect(refused.status == 3)
        #expect(refused.text.contains("notes.mcap: not an MCAP file"))
        #expect(try String(contentsOfFile: dir + "/notes.mcap", encoding: .utf8) == "hello\n")
        // 0: reports with filters that match nothing.
        let empty = try restrace(["report", "tasks", capture, "--db", dir + "/p.sqlite", "--device", "nobody", "--format", "json"])
        #expect(empty.status == 0)
        #expect(String(decoding: empty.out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
        #expect(try restrace(["--help"]).status == 0)
        #expect(try restrace(["--version"]).status == 0)
    }

    @Test func reportsReadAProjectionFile() throws {
        let dir = temporaryDirectory("cli-report")
        defer { cleanup(dir) }
        let capture = Self.fixtures.appendingPathComponent("failure-storm/capture").path
        #expect(try restrace(["project", capture, "--db", dir + "/p.sqlite"]).status == 0)
        for kind in ["summary", "tasks", "throughput", "failures", "stalled", "latency", "anomalies"] {
            for format in ["table", "json", "csv", "markdown"] {
                let r = try restrace(["report", kind, "--db", dir + "/p.sqlite", "--format", format])
                #expect(r.status == 0, "\(kind) \(format): \(r.err)")
                #expect(!r.out.isEmpty)
            }
        }
        let device = try restrace(["report", "device", "TESTPROD01/cam000", "--db", dir + "/p.sqlite", "--format", "json"])
        #expect(device.status == 0)
        let object = try JSONSerialization.jsonObject(with: device.out) as! [String: Any]
        #expect((object["tasks"] as! [Any]).count > 0)
    }
}
