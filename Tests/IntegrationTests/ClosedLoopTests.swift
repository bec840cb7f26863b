import Foundation
import Testing
import TestSupport

/// `replay --play`: one side of a capture against the other side played live, through a real
/// mosquitto, and `--expect` telling a run that answers as the field did from one that does not.
@Suite(.serialized) struct ClosedLoopTests {
    static let dialects = repositoryRoot.appendingPathComponent("fixtures/sdk-dialects/capture").path

    /// Starts `restrace replay CAPTURE --play platform` against `broker`; returns it running.
    func platform(_ capture: String, _ broker: TestBroker, recordTo: String, extra: [String] = []) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: restraceExecutable)
        p.arguments = ["replay", capture, "--broker", "mqtt://127.0.0.1:\(broker.port)", "--play", "platform", "--rate", "100",
                       "--record-to", recordTo, "--idle-timeout", "5s"] + extra
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        Thread.sleep(forTimeInterval: 0.5)  // subscribed before the devices speak
        return p
    }

    func devices(_ capture: String, _ broker: TestBroker, recordTo: String, extra: [String] = []) throws -> ProcessResult {
        try runProcess(restraceExecutable, ["replay", capture, "--broker", "mqtt://127.0.0.1:\(broker.port)", "--play", "device", "--rate", "100",
                                            "--record-to", recordTo, "--expect", "--answer-timeout", "1s"] + extra)
    }

    @Test func bothSidesOfACapturePlayedAgainstEachOtherAnswerAsTheFieldDid() throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let dir = temporaryDirectory("loop-same")
        defer { cleanup(dir) }
        let p = try platform(Self.dialects, broker, recordTo: dir + "/platform", extra: ["--expect", "--format", "json"])
        let d = try devices(Self.dialects, broker, recordTo: dir + "/devices", extra: ["--format", "json", "--junit", dir + "/devices.xml"])
        p.waitUntilExit()
        #expect(d.status == 0, "\(d.text)\n\(d.err)")
        let out = try JSONSerialization.jsonObject(with: d.out) as! [String: Any]
        #expect((out["summary"] as! [String: Int])["same"] == 6 && (out["differences"] as! [Any]).isEmpty)
        #expect(p.terminationStatus == 0)  // the platform's own run matches too
        let junit = try JUnitCounts(path: dir + "/devices.xml")
        #expect(junit.tests == 6 && junit.failures == 0)
        // The live run is a capture like any other.
        #expect(try runProcess(restraceExecutable, ["diff", Self.dialects, dir + "/devices", "--device", "cam-01"]).status == 0)
    }

    @Test func aPlatformThatRejectsWhatTheFieldAcceptedFailsTheRunNamingTaskFieldAndValues() throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let dir = temporaryDirectory("loop-changed")
        defer { cleanup(dir) }
        // The platform of the test: the same capture with its first accepted upload progress
        // rejected (result_code 1).
        let lines = try runProcess(restraceExecutable, ["cat", Self.dialects]).text.split(separator: "\n").map(String.init)
        let i = try #require(lines.firstIndex { $0.contains("report_upload_progress_rsp") && $0.contains(#"result_code\":0"#) })
        var changed = lines
        changed[i] = lines[i].replacingOccurrences(of: #"result_code\":0"#, with: #"result_code\":1"#)
        try (changed.joined(separator: "\n") + "\n").write(toFile: dir + "/changed.jsonl", atomically: true, encoding: .utf8)
        #expect(try runProcess(restraceExecutable, ["import", "--format", "jsonl", dir + "/changed.jsonl", "--out", dir + "/changed"]).status == 0)
        let device = try #require(lines[i].range(of: #"down/service/[^"]*"#, options: .regularExpression).map { String(lines[i][$0].split(separator: "/").last!) })
        let p = try platform(dir + "/changed", broker, recordTo: dir + "/platform")
        let d = try devices(Self.dialects, broker, recordTo: dir + "/devices", extra: ["--format", "json"])
        p.waitUntilExit()
        #expect(d.status == 4, "\(d.err)")
        let differences = (try JSONSerialization.jsonObject(with: d.out) as! [String: Any])["differences"] as! [[String: Any]]
        let code = try #require(differences.first { ($0["field"] as? String)?.hasSuffix(".result_code") == true && ($0["field"] as? String)?.hasPrefix("answers") == true })
        #expect(code["device"] as? String == device && code["kind"] as? String == "upload")
        #expect(code["baseline"] as? String == "0" && code["candidate"] as? String == "1")
        // Only that task differs (what the device sent after the rejection is counted as anomalies).
        #expect(differences.allSatisfy { $0["device"] as? String == device || ($0["field"] as? String)?.hasPrefix("anomalies.") == true },
                "\(differences)")
    }

    @Test func aPlatformThatDoesNotAnswerFailsTheRun() throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let dir = temporaryDirectory("loop-silent")
        defer { cleanup(dir) }
        let d = try devices(Self.dialects, broker, recordTo: dir + "/devices", extra: ["--device", "cam-01", "--answer-timeout", "200ms"])
        #expect(d.status == 4)
        #expect(d.err.contains("no live create_upload_task_rsp"), "\(d.err)")
        #expect(d.text.contains("no answer"), "\(d.text)")
    }

    /// Starts `restrace simulate --serve SIDE` with the options a fixture was made with.
    func serve(_ side: String, _ options: [String], _ broker: TestBroker) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: restraceExecutable)
        p.arguments = ["simulate", "--serve", side, "--broker", "mqtt://127.0.0.1:\(broker.port)", "--speed", "100", "--idle-timeout", "5s"] + options
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        Thread.sleep(forTimeInterval: 0.5)
        return p
    }

    /// `scripts/fixtures.sh` makes `failure-storm` with these.
    static let stormOptions = ["--devices", "10", "--duration", "10m", "--seed", "202", "--failure-rate", "0.35", "--rejection-rate", "0.15",
                               "--stall-rate", "0", "--pause-rate", "0"]
    static let storm = repositoryRoot.appendingPathComponent("fixtures/failure-storm/capture").path

    @Test func theSimulatedPlatformAnswersAFixturesDevicesAsWhenItWasMade() throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let dir = temporaryDirectory("loop-serve")
        defer { cleanup(dir) }
        let platform = try serve("platform", Self.stormOptions, broker)
        let d = try devices(Self.storm, broker, recordTo: dir + "/devices")
        platform.waitUntilExit()
        #expect(d.status == 0, "\(d.text)\n\(d.err)")
        #expect(d.text.contains("no differences: 153 same"), "\(d.text)")
        // The same platform with another rejection rate is another platform: the run fails.
        let changed = try serve("platform", Self.stormOptions.map { $0 == "0.15" ? "0.5" : $0 }, broker)
        let c = try devices(Self.storm, broker, recordTo: dir + "/changed",
                            extra: ["--format", "json", "--device", "cam000", "--answer-timeout", "50ms"])
        changed.terminate()
        changed.waitUntilExit()
        #expect(c.status == 4, "\(c.err)")
        let summary = (try JSONSerialization.jsonObject(with: c.out) as! [String: Any])["summary"] as! [String: Int]
        #expect(summary["different", default: 0] + summary["missing", default: 0] + summary["extra", default: 0] > 0)
    }

    @Test func theSimulatedDevicesPlayAgainstAFixturesPlatformAsWhenItWasMade() throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let dir = temporaryDirectory("loop-serve-devices")
        defer { cleanup(dir) }
        let p = try platform(Self.storm, broker, recordTo: dir + "/platform", extra: ["--expect"])
        let fleet = try runProcess(restraceExecutable, ["simulate", "--serve", "devices", "--broker", "mqtt://127.0.0.1:\(broker.port)",
                                                        "--speed", "100", "--idle-timeout", "5s"] + Self.stormOptions)
        p.waitUntilExit()
        #expect(fleet.status == 0, "\(fleet.err)")
        #expect(p.terminationStatus == 0)
        #expect(try runProcess(restraceExecutable, ["diff", Self.storm, dir + "/platform"]).status == 0)
    }

    @Test func oneConnectionPerDevicePlaysTheSame() throws {
        let broker = try TestBroker()
        defer { broker.stop() }
        let dir = temporaryDirectory("loop-per-device")
        defer { cleanup(dir) }
        let p = try platform(Self.dialects, broker, recordTo: dir + "/platform")
        let d = try devices(Self.dialects, broker, recordTo: dir + "/devices", extra: ["--client-per-device"])
        p.waitUntilExit()
        #expect(d.status == 0 && d.text.contains("no differences: 6 same"), "\(d.text)\n\(d.err)")
        let refused = try runProcess(restraceExecutable, ["replay", Self.dialects, "--broker", "mqtt://127.0.0.1:1", "--play", "platform", "--client-per-device"])
        #expect(refused.status == 2)
    }

    @Test func aDamagedCaptureIsSaidAndExits3() throws {
        let dir = temporaryDirectory("loop-damaged")
        defer { cleanup(dir) }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: Self.dialects + "/000001.mcap"))
        let chunk = try #require(bytes.range(of: Data("zstd".utf8)))
        bytes[chunk.upperBound + 36] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: dir + "/damaged.mcap"))
        let r = try runProcess(restraceExecutable, ["replay", dir + "/damaged.mcap", "--broker", "mqtt://127.0.0.1:1", "--play", "device"])
        #expect(r.status == 3 && r.err.contains("skipped damaged data") && r.err.contains("damaged.mcap"), "\(r.err)")
    }
}
