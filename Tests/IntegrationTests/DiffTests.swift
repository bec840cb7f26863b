import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TestSupport

/// `restrace diff` as CI runs it: the same capture is the same, and a mutated copy differs in
/// exactly what was changed, in every format.
@Suite struct DiffTests {
    static let fixtures = repositoryRoot.appendingPathComponent("fixtures").path

    @discardableResult
    func restrace(_ args: [String]) throws -> ProcessResult { try runProcess(restraceExecutable, args) }

    func json(_ r: ProcessResult) throws -> [String: Any] { try JSONSerialization.jsonObject(with: r.out) as! [String: Any] }

    @Test(arguments: ["sdk-dialects", "clean-day", "failure-storm", "stalled-fleet", "blind-window", "bad-input"])
    func everyFixtureIsTheSameAsItself(fixture: String) throws {
        let capture = Self.fixtures + "/\(fixture)/capture"
        let r = try restrace(["diff", capture, capture, "--format", "json"])
        #expect(r.status == 0, "\(r.err)")
        let out = try json(r)
        let tasks = try JSONSerialization.jsonObject(with: try restrace(["report", "tasks", capture, "--db", temporaryDirectory("diff-self") + "/p.sqlite", "--format", "json"]).out) as! [Any]
        #expect((out["summary"] as! [String: Int]) == ["same": tasks.count, "different": 0, "missing": 0, "extra": 0])
        #expect((out["differences"] as! [Any]).isEmpty)
    }

    /// The capture's messages as JSON objects (`cat`), changed by `change`, made into a capture.
    func mutated(_ capture: String, into dir: String, _ change: (inout [[String: Any]]) throws -> Void) throws {
        let lines = try restrace(["cat", capture, "--no-recorder-events"]).text.split(separator: "\n")
        var messages = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        try change(&messages)
        let text = try messages.map { m -> String in
            var m = m
            m.removeValue(forKey: "time")  // time_ns is the one changed
            return String(decoding: try JSONSerialization.data(withJSONObject: m, options: [.sortedKeys]), as: UTF8.self)
        }.joined(separator: "\n") + "\n"
        try text.write(toFile: dir + "/mutated.jsonl", atomically: true, encoding: .utf8)
        #expect(try restrace(["import", "--format", "jsonl", dir + "/mutated.jsonl", "--out", dir + "/mutated"]).status == 0)
    }

    @Test func aChangedCodeADroppedTaskAndALateAnswerAreExactlyWhatDiffers() throws {
        let dir = temporaryDirectory("diff-mutated")
        defer { cleanup(dir) }
        let capture = Self.fixtures + "/failure-storm/capture"
        let tasks = try JSONSerialization.jsonObject(with: try restrace(["report", "tasks", capture, "--db", dir + "/p.sqlite", "--format", "json"]).out) as! [[String: Any]]
        func device(_ t: [String: Any]) -> String { "\(t["product"]!)/\(t["device"]!)" }
        let perDevice = Dictionary(grouping: tasks, by: device)
        // Dropped: a device's last task, with everything the device sent or got from its start.
        // Changed: another device's first fail code. Late: a third device's first upload URL,
        // and all it sent and got after it, by 5 s.
        func started(_ t: [String: Any]) -> String { (t["requested_at"] as? String) ?? (t["offered_at"] as! String) }
        let last = try #require(perDevice.values.compactMap { $0.max { started($0) < started($1) } }
            .first { $0["state"] as? String == "done" && $0["attempt"] as? Int == 1 })
        let dropped = device(last)
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let droppedFrom = Int(iso.date(from: started(last))!.timeIntervalSince1970 * 1000) * 1_000_000
        let failed = try #require(tasks.first { $0["failed_by"] as? String == "device" && $0["result_code"] as? Int == -4 && device($0) != dropped })
        let late = try #require(tasks.first { $0["kind"] as? String == "upload" && $0["attempt"] as? Int == 1 && $0["state"] as? String == "done"
                                              && device($0) != dropped && device($0) != device(failed) })
        try mutated(capture, into: dir) { messages in
            func on(_ m: [String: Any], _ d: String) -> Bool { (m["topic"] as! String).hasSuffix("/" + d) }
            messages.removeAll { on($0, dropped) && ($0["time_ns"] as! Int) >= droppedFrom }
            let fail = try #require(messages.firstIndex { on($0, device(failed)) && ($0["payload"] as! String).contains(#""result_code":-4"#) })
            messages[fail]["payload"] = (messages[fail]["payload"] as! String).replacingOccurrences(of: #""result_code":-4"#, with: #""result_code":-2"#)
            let answer = try #require(messages.firstIndex { on($0, device(late)) && ($0["payload"] as! String).contains("create_upload_task_rsp")
                                                              && ($0["payload"] as! String).contains("\(late["name"]!)") })
            for i in answer..<messages.count where on(messages[i], device(late)) {
                messages[i]["time_ns"] = (messages[i]["time_ns"] as! Int) + 5_000_000_000
            }
            messages.sort { ($0["time_ns"] as! Int) < ($1["time_ns"] as! Int) }
        }
        let r = try restrace(["diff", capture, dir + "/mutated", "--format", "json", "--junit", dir + "/diff.xml"])
        #expect(r.status == 4, "\(r.err)")
        let out = try json(r)
        #expect((out["summary"] as! [String: Int]) == ["same": tasks.count - 3, "different": 2, "missing": 1, "extra": 0])
        let differences = out["differences"] as! [[String: Any]]
        let byTask = Dictionary(grouping: differences) { "\($0["product"]!)/\($0["device"]!) \($0["name"]!)" }
        #expect(Set(byTask.keys) == ["\(dropped) \(last["name"]!)", "\(device(failed)) \(failed["name"]!)",
                                     "\(device(late)) \(late["name"]!)"], "\(byTask.keys)")
        let code = try #require(differences.first { $0["field"] as? String == "outcome.result_code" })
        #expect(code["baseline"] as? String == "-4" && code["candidate"] as? String == "-2" && (code["candidate_position"] as? String)?.contains("@") == true)
        #expect(differences.contains { $0["field"] as? String == "task" && $0["candidate"] as? String == "missing" })
        let latency = try #require(differences.first { ($0["field"] as? String)?.hasSuffix(".latency") == true })
        #expect((latency["candidate"] as? String)?.hasPrefix("5.") == true, "\(latency)")
        // Ignoring latency and the codes leaves the dropped task only.
        let ignoring = try json(try restrace(["diff", capture, dir + "/mutated", "--format", "json", "--ignore", "latency",
                                              "--ignore", "result_code", "--ignore", "device.fail_result_code"]))
        #expect((ignoring["summary"] as! [String: Int])["different"] == 0)
        // The table names each differing task on a line of its own; JUnit has a case per task.
        let table = try restrace(["diff", capture, dir + "/mutated"]).text
        #expect(table.contains("\(tasks.count - 3) same, 2 different, 1 missing, 0 extra") && table.contains(failed["name"] as! String))
        let junit = try JUnitCounts(path: dir + "/diff.xml")
        #expect(junit.tests == tasks.count && junit.failures == 3 && junit.cases == tasks.count && junit.failureElements == 3)
    }
}

/// A JUnit XML file as a CI system reads it: parsed by Foundation's XML parser.
final class JUnitCounts: NSObject, XMLParserDelegate {
    var tests = -1, failures = -1, cases = 0, failureElements = 0

    init(path: String) throws {
        super.init()
        let parser = XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: path)))
        parser.delegate = self
        guard parser.parse() else { throw parser.parserError ?? CocoaError(.fileReadCorruptFile) }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        switch name {
        case "testsuite": tests = Int(attributes["tests"] ?? "") ?? -1; failures = Int(attributes["failures"] ?? "") ?? -1
        case "testcase": cases += 1
        case "failure": failureElements += 1
        default: break
        }
    }
}
