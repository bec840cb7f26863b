import Broker
import Capture
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Faults that would lose data: what restrace must refuse, leave alone or say, run as a user runs it.
@Suite(.serialized) struct DataSafetyTests {
    static let cleanDay = repositoryRoot.appendingPathComponent("fixtures/clean-day/capture").path

    @discardableResult
    func restrace(_ args: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try runProcess(restraceExecutable, args, environment: environment)
    }

    @Test func aDbThatIsADirectoryOrACaptureIsNeverReplaced() throws {
        let dir = temporaryDirectory("safety-db")
        defer { cleanup(dir) }
        try FileManager.default.copyItem(atPath: Self.cleanDay, toPath: dir + "/cap")
        try FileManager.default.createDirectory(atPath: dir + "/x/sub", withIntermediateDirectories: true)
        try Data("data\n".utf8).write(to: URL(fileURLWithPath: dir + "/x/sub/f"))
        // A device node and a pipe of its own (never the system's /dev/null: a regression would
        // replace it).
        #expect(mknod(dir + "/null", S_IFCHR | 0o666, (1 << 8) | 3) == 0 && mkfifo(dir + "/fifo", 0o644) == 0)
        let segment = try CaptureSource.files(of: dir + "/cap")[0]
        let segmentBytes = try Data(contentsOf: URL(fileURLWithPath: segment))
        for (args, named) in [(["project", dir + "/cap", "--db", dir + "/x"], dir + "/x"),
                              (["report", "summary", dir + "/cap", "--db", dir + "/x"], dir + "/x"),
                              (["project", dir + "/cap", "--db", dir + "/cap"], dir + "/cap"),
                              (["project", dir + "/cap", "--db", segment], segment),
                              (["project", dir + "/cap", "--db", dir + "/null"], dir + "/null"),
                              (["project", dir + "/cap", "--db", dir + "/fifo"], dir + "/fifo"),
                              (["report", "summary", "--db", dir + "/x"], dir + "/x")] {
            let r = try restrace(args)
            #expect(r.status == 1 && r.err.contains(named) && r.err.contains("not a restrace projection"), "\(args): \(r.err)")
        }
        #expect(try String(contentsOfFile: dir + "/x/sub/f", encoding: .utf8) == "data\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: segment)) == segmentBytes)
        #expect(CaptureSource.isDirectory(dir + "/cap"))
        var st = stat()
        #expect(stat(dir + "/null", &st) == 0 && st.st_mode & S_IFMT == S_IFCHR)
        // An empty regular file is nothing to lose: it becomes the projection.
        _ = FileManager.default.createFile(atPath: dir + "/empty.sqlite", contents: Data())
        #expect(try restrace(["project", dir + "/cap", "--db", dir + "/empty.sqlite", "--quiet"]).status == 0)
    }

    func start(_ args: [String], errors: String? = nil) throws -> Process { try startRestrace(args, errors: errors) }

    func publish(_ broker: TestBroker, _ count: Int, from: Int = 0) throws {
        let pub = try publisher(broker, id: "safety-pub-\(from)")
        for i in from..<(from + count) {
            try pub.publish(topic: "$resource/up/service/P/d\(i % 10)", payload: Array(#"{"type":"get_download_task","i":\#(i)}"#.utf8),
                            qos: 1, retain: false, window: 100)
        }
        #expect(pub.drain(timeout: 10))
        pub.disconnect()
    }

    func messageCount(_ capture: String) throws -> Int {
        let r = try restrace(["cat", capture, "--no-recorder-events"])
        return r.text.split(separator: "\n").count
    }

    @Test func aCaptureDirectoryHasOneWriterAndRecoverLeavesItsOpenFileAlone() throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let dir = temporaryDirectory("safety-writer")
        defer { cleanup(dir) }
        let url = "mqtt://127.0.0.1:\(broker.port)"
        let first = try start(["record", "--broker", url, "--out", dir + "/cap", "--client-id", "first", "--flush-interval", "100ms"])
        defer { if first.isRunning { first.terminate() } }
        #expect(waitUntil(10) { CaptureLock.holder(of: dir + "/cap") != nil })
        #expect(waitUntil(10) { ((try? CaptureSource.segmentFiles(inDirectory: dir + "/cap")) ?? []).count == 1 })
        Thread.sleep(forTimeInterval: 0.5)
        for args in [["record", "--broker", url, "--out", dir + "/cap", "--client-id", "second"],
                     ["simulate", "--devices", "2", "--duration", "5s", "--out", dir + "/cap"]] {
            let r = try restrace(args)
            #expect(r.status == 1 && r.err.contains("being written by restrace record (pid \(first.processIdentifier)"), "\(args[0]): \(r.err)")
        }
        try Data(#"{"time_ns":1795717359768482899,"topic":"$resource/up/service/P/D","payload":"{}"}"#.utf8)
            .write(to: URL(fileURLWithPath: dir + "/in.jsonl"))
        let imported = try restrace(["import", "--format", "jsonl", dir + "/in.jsonl", "--out", dir + "/cap"])
        #expect(imported.status == 1 && imported.err.contains("one writer at a time"), "\(imported.err)")

        try publish(broker, 2000)
        Thread.sleep(forTimeInterval: 0.5)
        // The recorder's open file is torn as far as recover can see: it must stay the recorder's.
        let recovered = try restrace(["recover", dir + "/cap"])
        #expect(recovered.status == 0 && recovered.text.contains("000001.mcap: being written by restrace record"), "\(recovered.text)")
        try publish(broker, 2000, from: 2000)
        Thread.sleep(forTimeInterval: 0.5)
        #expect(interrupt(first) == 0)
        #expect(try messageCount(dir + "/cap") == 4000)
        #expect(CaptureLock.holder(of: dir + "/cap") == nil)
        #expect(try restrace(["verify", dir + "/cap"]).status == 0)
    }

    @Test func twoRecordersWithOneClientIDSaySoInsteadOfKeepingHalfEach() throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let dir = temporaryDirectory("safety-clientid")
        defer { cleanup(dir) }
        let url = "mqtt://127.0.0.1:\(broker.port)"
        let recorders = try ["a", "b"].map { name in
            try start(["record", "--broker", url, "--out", dir + "/" + name, "--client-id", "same"], errors: dir + "/\(name).err")
        }
        defer { for r in recorders where r.isRunning { r.terminate() } }
        #expect(waitUntil(40) { recorders.contains { !$0.isRunning } }, "neither recorder noticed the other")
        guard let stopped = ["a", "b"].indices.first(where: { !recorders[$0].isRunning }) else { return }
        let name = ["a", "b"][stopped]
        #expect(recorders[stopped].terminationStatus == 1)
        let err = try String(contentsOfFile: dir + "/\(name).err", encoding: .utf8)
        #expect(err.contains("another client keeps taking over the session of client id 'same'"), "\(err)")
        // It said so in its capture too, and the other one goes on alone.
        #expect(try restrace(["cat", dir + "/" + name]).text.contains("client_id_conflict"))
        #expect(interrupt(recorders[1 - stopped]) == 0)
    }

    @Test func aRefusedLoginEndsAReplayAtOnceAndPublishesNothing() throws {
        let dir = temporaryDirectory("safety-login")
        defer { cleanup(dir) }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir)
        try "player:right\n".write(toFile: dir + "/passwd", atomically: true, encoding: .utf8)
        #expect(try runProcess("/usr/bin/env", ["mosquitto_passwd", "-U", dir + "/passwd"]).status == 0)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: dir + "/passwd")
        let broker = try TestBroker(config: "password_file \(dir)/passwd", allowAnonymous: false)
        defer { broker.stop() }
        let url = "mqtt://127.0.0.1:\(broker.port)"
        let started = Date()
        for (user, password) in [(nil, nil), ("player", "wrong")] as [(String?, String?)] {
            var args = ["replay", Self.cleanDay, "--broker", url, "--max-rate"]
            if let user { args += ["--username", user] }
            let r = try restrace(args, environment: password.map { ["RESTRACE_PASSWORD": $0] } ?? [:])
            #expect(r.status == 1 && r.err.contains("not authorised") && !r.err.contains("published"), "\(r.err)")
        }
        #expect(Date().timeIntervalSince(started) < 20)  // not the 30 s wait for acknowledgements, twice
        let ok = try restrace(["replay", Self.cleanDay, "--broker", url, "--max-rate", "--username", "player"],
                              environment: ["RESTRACE_PASSWORD": "right"])
        #expect(ok.status == 0 && ok.err.contains(" published, "), "\(ok.err)")
    }

    @Test func anUnreadableFileFailsNamingItAndIsNeverSkipped() throws {
        let dir = temporaryDirectory("safety-unreadable")
        defer { cleanup(dir) }
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: dir)
        try FileManager.default.createDirectory(atPath: dir + "/cap", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        let fixtures = repositoryRoot.appendingPathComponent("fixtures").path
        try FileManager.default.copyItem(atPath: fixtures + "/clean-day/capture/000001.mcap", toPath: dir + "/cap/000001.mcap")
        try FileManager.default.copyItem(atPath: fixtures + "/failure-storm/capture/000001.mcap", toPath: dir + "/cap/000002.mcap")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: dir + "/cap/000002.mcap")
        let db = dir + "/p.sqlite"
        func asNobody(_ args: [String]) throws -> ProcessResult {
            try runProcess("/usr/sbin/runuser", ["-u", "nobody", "--", restraceExecutable] + args)
        }
        for args in [["project", dir + "/cap", "--db", db], ["info", dir + "/cap"], ["cat", dir + "/cap"],
                     ["replay", dir + "/cap", "--dry-run"], ["report", "summary", dir + "/cap", "--db", db]] {
            let r = try asNobody(args)
            #expect(r.status == 1 && r.err.contains("000002.mcap") && r.err.contains("Permission denied"), "\(args[0]): \(r.err)")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: dir + "/cap/000002.mcap")
        #expect(try asNobody(["project", dir + "/cap", "--db", db, "--quiet"]).status == 0)
        let resumed = try asNobody(["report", "summary", "--db", db, "--format", "json"])
        let oneShot = try restrace(["report", "summary", dir + "/cap", "--db", dir + "/one.sqlite", "--format", "json"])
        #expect(resumed.status == 0 && resumed.out == oneShot.out)
    }

    @Test func aProjectionOfAFileThatRecoverRewroteStartsOverInsteadOfSkipping() throws {
        let dir = temporaryDirectory("safety-recovered")
        defer { cleanup(dir) }
        // One file of many small chunks, closed; then its second chunk damaged, and its end cut
        // off as a killed recorder leaves it.
        var options = CaptureWriter.Options()
        options.chunkSize = 4096
        let writer = try CaptureWriter(directory: dir + "/made", options: options)
        let devices = ["cam-1", "cam-2", "cam-3"]
        for i in 0..<3000 {
            let state = i % 3 == 2 ? "done" : "uploading"
            let payload = #"{"type":"report_upload_progress","name":"f\#(i / 3)","progress":{"state":"\#(state)","percent":\#(i % 100),"result_code":0,"result_msg":""}}"#
            try writer.write(CapturedMessage(time: 1_795_717_359_000_000_000 + UInt64(i) * 10_000_000,
                                             topic: "$resource/up/service/P/\(devices[i % 3])", payload: Array(payload.utf8)))
        }
        try writer.close()
        let made = try CaptureSource.files(of: dir + "/made")[0]
        let reader = try SegmentReader(path: made)
        var offsets: [UInt64] = []
        while let o = reader.nextView({ $0.chunkOffset }) { if offsets.last != o { offsets.append(o) } }
        #expect(offsets.count > 20)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: made))
        bytes[Int(offsets[1]) + 80] ^= 0xFF
        let torn = bytes[..<Int(offsets.last!)]
        try FileManager.default.createDirectory(atPath: dir + "/cap", withIntermediateDirectories: true)
        let file = dir + "/cap/000001.mcap"
        // Projected while the first ten chunks were written, then the rest came, then recover.
        try bytes[..<Int(offsets[10])].write(to: URL(fileURLWithPath: file))
        #expect(try restrace(["project", dir + "/cap", "--quiet"]).status == 0)
        try torn.write(to: URL(fileURLWithPath: file))
        let recovered = try restrace(["recover", dir + "/cap"])
        #expect(recovered.status == 0 && recovered.text.contains("1 corrupt chunks dropped"), "\(recovered.text)")
        let again = try restrace(["project", dir + "/cap"])
        #expect(again.status == 0 && again.err.contains("000001.mcap changed since it was projected"), "\(again.err)")
        #expect(!again.err.contains("corrupt"), "\(again.err)")
        let resumed = try restrace(["report", "tasks", "--db", dir + "/cap/restrace.sqlite", "--format", "csv"])
        let oneShot = try restrace(["report", "tasks", dir + "/cap", "--db", dir + "/one.sqlite", "--format", "csv"])
        #expect(resumed.status == 0 && resumed.out == oneShot.out)
        let count = try messageCount(dir + "/cap")
        let summary = try restrace(["report", "summary", "--db", dir + "/cap/restrace.sqlite", "--format", "json"]).text
        #expect(summary.contains("\"messages\": \(count)") || summary.contains("\"messages\":\(count)"), "\(summary)")
    }

    @Test func aReadOnlyProjectionThatIsUpToDateIsReadWithoutWriting() throws {
        let dir = temporaryDirectory("safety-readonly")
        defer { _ = try? runProcess("/bin/chmod", ["-R", "u+w", dir]); cleanup(dir) }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir)
        try FileManager.default.copyItem(atPath: Self.cleanDay, toPath: dir + "/cap")
        #expect(try restrace(["project", dir + "/cap", "--quiet"]).status == 0)
        let expected = try restrace(["report", "summary", dir + "/cap", "--format", "json"])
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: dir + "/cap/restrace.sqlite")
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: dir + "/cap")
        let r = try runProcess("/usr/sbin/runuser", ["-u", "nobody", "--", restraceExecutable, "report", "summary", dir + "/cap", "--format", "json"])
        #expect(r.status == 0 && r.out == expected.out, "\(r.err)")
        // recover reports an intact capture it could not write to (it cannot take the lock there).
        let recovered = try runProcess("/usr/sbin/runuser", ["-u", "nobody", "--", restraceExecutable, "recover", dir + "/cap"])
        #expect(recovered.status == 0 && recovered.text.contains("intact"), "\(recovered.err)")
    }

    @Test func errorsNameTheFileInPlainWordsAndCutLongValues() throws {
        let dir = temporaryDirectory("safety-errors")
        defer { cleanup(dir) }
        _ = FileManager.default.createFile(atPath: dir + "/file", contents: Data("x".utf8))
        try Data(#"{"time_ns":1,"topic":"$resource/up/service/P/D","payload":"{}"}"#.utf8).write(to: URL(fileURLWithPath: dir + "/in.jsonl"))
        let nested = try restrace(["import", "--format", "jsonl", dir + "/in.jsonl", "--out", dir + "/file/cap"])
        #expect(nested.status == 1 && nested.err.contains(dir + "/file") && !nested.err.contains("NSCocoaErrorDomain"), "\(nested.err)")
        // Relative and one character long, made as asked.
        let relative = try runProcess(restraceExecutable, ["import", "--format", "jsonl", dir + "/in.jsonl", "--out", "c"], in: dir)
        #expect(relative.status == 0 && CaptureSource.isDirectory(dir + "/c"), "\(relative.err)")
        let longTopic = String(repeating: "a", count: 70_000) + "#"
        let topic = try restrace(["record", "--broker", "mqtt://127.0.0.1:1", "--out", dir + "/cap", "--topic", longTopic])
        #expect(topic.status == 2 && topic.err.utf8.count < 1000, "\(topic.err.utf8.count) bytes")
        // A projection in a directory that cannot be written: the file named, no SQL statement.
        try FileManager.default.createDirectory(atPath: dir + "/closed", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o555])
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir)
        let db = try runProcess("/usr/sbin/runuser", ["-u", "nobody", "--", restraceExecutable, "project", Self.cleanDay, "--db", dir + "/closed/p.sqlite"])
        #expect(db.status == 1 && db.err.contains(dir + "/closed/p.sqlite") && db.err.contains("SQLite error")
                && !db.err.contains("while executing"), "\(db.err)")
    }

    @Test func aClockThatWentBackGivesOneSpanAndIsSaid() throws {
        let dir = temporaryDirectory("safety-clock")
        defer { cleanup(dir) }
        let times: [UInt64] = [1_795_717_360, 1_795_717_370, 1_795_717_350, 1_795_717_355]
        let lines = times.map { #"{"time_ns":\#($0)000000000,"topic":"$resource/up/service/P/D","payload":"{\"type\":\"get_download_task\"}"}"# }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: dir + "/in.jsonl"))
        #expect(try restrace(["import", "--format", "jsonl", dir + "/in.jsonl", "--out", dir + "/cap"]).status == 0)
        let info = try JSONSerialization.jsonObject(with: try restrace(["info", dir + "/cap", "--format", "json"]).out) as! [String: Any]
        let summary = try JSONSerialization.jsonObject(with: try restrace(["report", "summary", dir + "/cap", "--format", "json"]).out) as! [String: Any]
        let capture = summary["capture"] as! [String: Any]
        #expect(info["first_at"] as? String == "2026-11-26T18:22:30.000Z" && capture["first_at"] as? String == info["first_at"] as? String)
        #expect(info["last_at"] as? String == capture["last_at"] as? String)
        #expect(info["clock_steps_back"] as? Int == 1 && capture["clock_steps_back"] as? Int == 1)
        #expect(try restrace(["report", "summary", dir + "/cap"]).text.contains("went back 1 times, by up to 20.000 s"))
    }

    /// Payload numbers of the `$resource` messages of a capture (`{"i":N}`), in capture order.
    func payloadNumbers(_ capture: String) throws -> [Int] {
        try readCapture(capture).filter { !$0.isRecorderEvent }.compactMap { m in
            let text = String(decoding: m.payload, as: UTF8.self)
            return text.range(of: #""i":"#).flatMap { Int(text[$0.upperBound...].prefix { $0.isNumber }) }
        }
    }

    @Test func nothingReceivedIsLostWhenTheRecorderIsKilled() throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let dir = temporaryDirectory("safety-kill")
        defer { cleanup(dir) }
        let args = ["record", "--broker", "mqtt://127.0.0.1:\(broker.port)", "--out", dir + "/cap", "--client-id", "killed",
                    "--flush-interval", "2s"]
        let first = try start(args)
        #expect(waitUntil(10) { CaptureLock.holder(of: dir + "/cap") != nil })
        Thread.sleep(forTimeInterval: 0.5)
        let total = 12_000
        let pub = try publisher(broker, id: "steady")
        let sent = Locked(0)
        let publishing = Thread {
            for i in 0..<total {
                try? pub.publish(topic: "$resource/up/service/P/d\(i % 10)", payload: Array(#"{"type":"get_download_task","i":\#(i)}"#.utf8),
                                 qos: 1, retain: false, window: 100)
                sent.mutate { $0 = i + 1 }
                if i % 100 == 99 { Thread.sleep(forTimeInterval: 0.025) }  // about 4 000 a second
            }
        }
        publishing.start()
        // Killed while messages arrive, with some received (a fixed 1.5 s from the start of
        // publishing was, once in CI under load, before the publisher had sent any): the open
        // chunk and the journal hold the last of them (a flush every 2 s).
        #expect(waitUntil(30) { sent.value >= 2_000 })
        Thread.sleep(forTimeInterval: 0.3)
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let second = try start(args)
        defer { if second.isRunning { second.terminate() } }
        #expect(pub.drain(timeout: 30))
        #expect(waitUntil(30) { (try? payloadNumbers(dir + "/cap").count) ?? 0 >= total })
        Thread.sleep(forTimeInterval: 0.5)
        #expect(interrupt(second) == 0)
        let numbers = try payloadNumbers(dir + "/cap")
        // Nothing is lost. A message can come twice: QoS 1 is at least once, and the broker sends
        // again what the killed recorder had journaled but not yet acknowledged (at most its
        // in-flight window, 20, seen once in CI).
        #expect(Set(numbers) == Set(0..<total), "\(numbers.count) messages, \(Set(numbers).count) different")
        let repeated = Dictionary(grouping: numbers, by: { $0 }).values.filter { $0.count > 1 }
        #expect(numbers.count - total <= 20 && repeated.allSatisfy { $0.count == 2 }, "\(numbers.count) messages")
        #expect(try restrace(["cat", dir + "/cap"]).text.contains("journal_recovered"))
    }

    @Test func aFullDiskHoldsTheRecorderUntilThereIsRoomAndLosesNothing() throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let dir = temporaryDirectory("safety-full")
        defer { cleanup(dir) }
        let disk = dir + "/disk"
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        let mounted = try runProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", disk])
        #expect(mounted.status == 0, "a small file system for the test: \(mounted.err)")
        guard mounted.status == 0 else { return }
        defer { _ = try? runProcess("/bin/umount", [disk]) }
        let recorder = try start(["record", "--broker", "mqtt://127.0.0.1:\(broker.port)", "--out", disk + "/cap", "--client-id", "full",
                                  "--flush-interval", "200ms", "--journal-size", "128KiB"], errors: dir + "/err")
        defer { if recorder.isRunning { recorder.terminate() } }
        #expect(waitUntil(10) { CaptureLock.holder(of: disk + "/cap") != nil })
        Thread.sleep(forTimeInterval: 0.5)
        // Every block taken.
        _ = try runProcess("/bin/dd", ["if=/dev/zero", "of=\(disk)/filler", "bs=4096"])
        try publish(broker, 3000)
        #expect(waitUntil(10) { ((try? String(contentsOfFile: dir + "/err", encoding: .utf8)) ?? "").contains("disk full") })
        Thread.sleep(forTimeInterval: 1)
        #expect(recorder.isRunning)
        try FileManager.default.removeItem(atPath: disk + "/filler")
        #expect(waitUntil(15) { (try? payloadNumbers(disk + "/cap").count) ?? 0 >= 3000 })
        #expect(interrupt(recorder) == 0)
        let numbers = try payloadNumbers(disk + "/cap")
        #expect(numbers.count == 3000 && Set(numbers) == Set(0..<3000), "\(numbers.count) messages")
        #expect(try restrace(["cat", disk + "/cap"]).text.contains(#"\"event\":\"disk_full\""#))
        #expect(try restrace(["verify", disk + "/cap"]).status == 0)
        #expect(try String(contentsOfFile: dir + "/err", encoding: .utf8).contains("the disk has room again"))
    }

    @Test func asOfAnEarlierTimeReportsTheTasksAsTheyWereThen() throws {
        let dir = temporaryDirectory("safety-as-of")
        defer { cleanup(dir) }
        try FileManager.default.copyItem(atPath: repositoryRoot.appendingPathComponent("fixtures/stalled-fleet/capture").path,
                                          toPath: dir + "/cap")
        // The same capture cut at that moment: what a report made then would have said.
        let cut = try restrace(["cat", dir + "/cap", "--until", "+5m"])
        try cut.out.write(to: URL(fileURLWithPath: dir + "/cut.jsonl"))
        #expect(try restrace(["import", "--format", "jsonl", dir + "/cut.jsonl", "--out", dir + "/cut"]).status == 0)
        for report in ["tasks", "stalled", "failures", "summary"] {
            let options = ["--as-of", "+5m", "--stall-after", "30s", "--format", "json"]
            let then = try restrace(["report", report, dir + "/cap"] + options)
            let cutThen = try restrace(["report", report, dir + "/cut"] + options)
            #expect(then.status == 0 && then.out == cutThen.out, "\(report): \(then.err)")
            // Also from the projection alone: it knows its capture.
            let fromDB = try restrace(["report", report, "--db", dir + "/cap/restrace.sqlite"] + options)
            #expect(fromDB.out == cutThen.out, "\(report) --db")
        }
        let now = try restrace(["report", "stalled", dir + "/cap", "--stall-after", "30s", "--format", "json"])
        #expect(now.out != (try restrace(["report", "stalled", dir + "/cap", "--as-of", "+5m", "--stall-after", "30s", "--format", "json"])).out)
    }

    @Test func retentionDeletesOnlyTheOldestClosedSegmentsRestraceWrote() throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let dir = temporaryDirectory("safety-retention")
        defer { cleanup(dir) }
        // Three segments from long ago, a file that is not restrace's, and a projection.
        for start in ["2020-01-01T00:00:00Z", "2020-02-01T00:00:00Z", "2020-03-01T00:00:00Z"] {
            #expect(try restrace(["simulate", "--out", dir + "/cap", "--devices", "2", "--duration", "1m", "--start", start]).status == 0)
        }
        try Data("not MCAP".utf8).write(to: URL(fileURLWithPath: dir + "/cap/000000-notes.mcap"))
        #expect(try restrace(["project", dir + "/cap", "--quiet"]).status == 0)
        let sizes = try CaptureSource.segmentFiles(inDirectory: dir + "/cap").map { try FileManager.default.attributesOfItem(atPath: $0)[.size] as! UInt64 }
        // By size: just over the two newest segments (and the foreign file) keeps them.
        let limit = sizes.suffix(2).reduce(0, +) + sizes[0] + 1
        let dry = try restrace(["prune", dir + "/cap", "--retain-size", "\(limit)", "--dry-run"])
        #expect(dry.status == 0 && dry.text.contains("would delete 000001.mcap") && dry.text.contains("would delete 1 segments"), "\(dry.text)")
        #expect(FileManager.default.fileExists(atPath: dir + "/cap/000001.mcap"))
        #expect(try restrace(["prune", dir + "/cap", "--retain-size", "\(limit)"]).text.contains("deleted 1 segments"))
        #expect(try CaptureSource.segmentFiles(inDirectory: dir + "/cap").map { ($0 as NSString).lastPathComponent }
                == ["000000-notes.mcap", "000002.mcap", "000003.mcap"])
        // By age, while recording: every old closed segment goes, said in the capture; the
        // foreign file and the recorder's own stay, and the projection goes on.
        let recorder = try start(["record", "--broker", "mqtt://127.0.0.1:\(broker.port)", "--out", dir + "/cap", "--retain-age", "1d"])
        #expect(waitUntil(10) { !FileManager.default.fileExists(atPath: dir + "/cap/000003.mcap") })
        #expect(interrupt(recorder) == 0)
        #expect(try CaptureSource.segmentFiles(inDirectory: dir + "/cap").map { ($0 as NSString).lastPathComponent } == ["000000-notes.mcap", "000004.mcap"])
        #expect(try readCaptureEvents(dir + "/cap").filter { $0 == "pruned" }.count == 2)
        let projected = try restrace(["report", "summary", dir + "/cap", "--format", "json"])
        #expect(projected.status == 0 && projected.text.contains("\"pruned_files\":2"), "\(projected.text) \(projected.err)")
        let table = try restrace(["report", "summary", dir + "/cap"])
        #expect(table.text.contains("2 old files deleted by retention"), "\(table.text)")
        #expect(try restrace(["prune", dir + "/cap"]).status == 2)
    }

    @Test func compactKeepsEveryMessageAndAKillAtAnyMomentLeavesOneWholeFile() throws {
        let dir = temporaryDirectory("safety-compact")
        defer { cleanup(dir) }
        let fixture = repositoryRoot.appendingPathComponent("fixtures/failure-storm/capture").path
        try FileManager.default.copyItem(atPath: fixture, toPath: dir + "/cap")
        let before = try restrace(["cat", dir + "/cap"]).out
        let size = { (try? FileManager.default.attributesOfItem(atPath: dir + "/cap/000001.mcap")[.size] as? UInt64) ?? 0 }
        let original = size()
        // Killed at moments spread over its run: the capture reads the same messages every time.
        for delay in [0.0, 0.02, 0.05, 0.1, 0.2] {
            let p = try start(["compact", dir + "/cap"])
            Thread.sleep(forTimeInterval: delay)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            #expect(try restrace(["cat", dir + "/cap"]).out == before, "killed after \(delay) s")
            #expect(try restrace(["verify", dir + "/cap"]).status == 0)
        }
        let r = try restrace(["compact", dir + "/cap", "--chunk-size", "4MiB"])
        #expect(r.status == 0 && r.text.contains("000001.mcap: ") && r.text.contains(" messages, "), "\(r.text)\(r.err)")
        #expect(size() < original, "\(size()) bytes, was \(original)")
        #expect(try restrace(["cat", dir + "/cap"]).out == before)
        #expect(try restrace(["verify", dir + "/cap"]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/cap").allSatisfy { !$0.hasSuffix(".compacting") })
        // The official reader agrees.
        let script = "import sys\nfrom mcap.reader import make_reader\nprint(sum(1 for _ in make_reader(open(sys.argv[1], 'rb')).iter_messages()))"
        let python = try runProcess(venvPython, ["-c", script, dir + "/cap/000001.mcap"])
        #expect(python.text.trimmingCharacters(in: .whitespacesAndNewlines) == String(String(decoding: before, as: UTF8.self).split(separator: "\n").count))
    }
}
