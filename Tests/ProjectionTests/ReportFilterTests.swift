import Capture
import Foundation
import ResourceProtocol
import Testing
@testable import Projection
import TestSupport

@Suite struct ReportFilterTests {
    private func store() throws -> (SQLiteStore, String) {
        let dir = temporaryDirectory("filters")
        _ = try Projector(paths: [FixtureTests.root.appendingPathComponent("sdk-dialects/capture").path], databasePath: dir + "/p.sqlite").run()
        return (try SQLiteStore(readingFrom: dir + "/p.sqlite"), dir)
    }

    private func tasks(_ s: SQLiteStore, _ f: ReportFilters) throws -> [[String: Any]] {
        try JSONSerialization.jsonObject(with: Data(Reports.run(.tasks, store: s, filters: f).json.rendered().utf8)) as! [[String: Any]]
    }

    @Test func filtersSelectTasks() throws {
        let (s, dir) = try store()
        defer { cleanup(dir) }
        var f = ReportFilters()
        f.devices = ["sensor.03"]
        #expect(try tasks(s, f).map { $0["attempt"] as! Int } == [1, 2])
        f = ReportFilters()
        f.states = ["failed"]
        #expect(try tasks(s, f).map { $0["device"] as! String } == ["sensor.03", "gate-04"])
        f = ReportFilters()
        f.states = ["stalled"]
        #expect(try tasks(s, f).map { $0["device"] as! String } == ["cam-05"])
        f = ReportFilters()
        f.kinds = [.download]
        #expect(try tasks(s, f).count == 3)
        f = ReportFilters()
        f.since = 1_795_717_359_000_000_000 + 4_000_000_000
        #expect(try tasks(s, f).map { $0["device"] as! String } == ["cam-05", "sensor.03"])
    }

    @Test func streamedTasksEqualTheRenderedReport() throws {
        let (s, dir) = try store()
        defer { cleanup(dir) }
        var none = ReportFilters()
        none.devices = ["no-such-device"]
        var failed = ReportFilters()
        failed.states = ["failed"]
        for f in [ReportFilters(), failed, none] {
            for format in Report.Format.allCases {
                var streamed = ""
                try Reports.write(.tasks, store: s, filters: f, format: format) { streamed += $0 }
                #expect(streamed == (try Reports.run(.tasks, store: s, filters: f).rendered(as: format)), "\(format) \(f.states) \(f.devices)")
                #expect(!streamed.isEmpty)
            }
        }
    }

    @Test func streamedTableWidthsFitEveryRow() throws {
        // Names Swift counts in fewer characters than SQLite's code points, a long failure, odd
        // percents and a fractional duration: the widths fixed before the rows must fit them all.
        let dir = temporaryDirectory("widths")
        defer { cleanup(dir) }
        let w = try CaptureWriter(directory: dir)
        let t0: UInt64 = 1_795_717_359_000_000_000
        var time = t0
        func send(_ device: String, _ up: Bool, _ json: String, after ms: UInt64 = 1) throws {
            time += ms * 1_000_000
            try w.write(CapturedMessage(time: time, topic: "$resource/\(up ? "up" : "down")/service/P/\(device)", payload: Array(json.utf8)))
        }
        for (i, device) in ["cafe\u{301}-\u{1F469}\u{200D}\u{1F4BB}", "gate-04"].enumerated() {
            let name = i == 0 ? "na\u{308}me-\u{1F1E8}\u{1F1F3}.bin" : "fw.bin"
            try send(device, true, #"{"type":"create_upload_task","size":100,"name":"\#(name)","md5sum":"m"}"#)
            try send(device, false, #"{"type":"create_upload_task_rsp","result_code":0,"url":"http://u"}"#)
            try send(device, true, #"{"type":"report_upload_progress","name":"\#(name)","progress":{"state":"uploading","percent":-3}}"#)
            try send(device, true, #"{"type":"report_upload_progress","name":"\#(name)","progress":{"state":"uploading","percent":150}}"#, after: 1234)
            try send(device, true, #"{"type":"report_upload_progress","name":"\#(name)","progress":{"state":"fail","result_code":-2,"result_msg":"\#(String(repeating: "disk full ", count: 5))"}}"#)
        }
        try w.close()
        _ = try Projector(paths: [dir], databasePath: dir + "/p.sqlite").run()
        let s = try SQLiteStore(readingFrom: dir + "/p.sqlite")
        let fixed = try s.db.read { try Reports.taskTableWidths(ReportContext(db: SQLiteConnection(db: $0), filters: ReportFilters())) }
        var table = try Reports.run(.tasks, store: s, filters: ReportFilters()).tables[0]
        #expect(table.rows.count == 2)
        table.minimumWidths = nil
        var needed = table.columns.map(\.count)
        for r in table.rows { Report.widen(&needed, r) }
        for (column, (n, f)) in zip(table.columns, zip(needed, fixed)) { #expect(n <= f, "\(column): \(n) > \(f)") }
        #expect(table.rows.contains { $0[6] == "150" } && table.rows.contains { $0[7].hasPrefix("device -2 disk full") })
    }

    @Test func controlCharactersFromDevicesAreEscapedForTheTerminal() {
        let hostile = "fw\u{1B}[2J\u{1B}]0;owned\u{07}.bin\nsecond line\tx\u{9B}"
        #expect(hostile.terminalSafe == #"fw\u{1B}[2J\u{1B}]0;owned\u{7}.bin\nsecond line\tx\u{9B}"#)
        #expect("café 设备-1 ✓".terminalSafe == "café 设备-1 ✓")
        let table = Report.Table(title: "", columns: ["name", "state"], rows: [[hostile, "done"]])
        for text in [Report.aligned(table), Report.markdown(table)] {
            #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B })
            #expect(text.split(separator: "\n").count == 3)  // header, rule, and the row on one line
        }
        #expect(Report.csv(table).contains(hostile))  // CSV is for programs: the bytes as they are
    }

    @Test func aHugeValueDoesNotWidenEveryLine() {
        let huge = String(repeating: "a", count: 1 << 20)
        let table = Report.Table(title: "", columns: ["name", "state"], rows: [[huge, "done"], ["fw.bin", "failed"]])
        let lines = Report.aligned(table).split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[0].count <= Report.maximumColumnWidth + 10 && lines[3].count <= Report.maximumColumnWidth + 10)
        #expect(lines[2].hasPrefix(huge))  // the value itself is printed whole
    }

    @Test func anomalyFiltersMatchTheTopicsDevice() throws {
        let (dir, _) = try simulatedCapture(devices: 8, minutes: 10) { $0.malformedRate = 0.02 }
        defer { cleanup(dir) }
        let w = try CaptureWriter(directory: dir)  // a second file with a message on a topic that is not a device's
        try w.write(CapturedMessage(time: 1_895_000_000_000_000_000, topic: "$resource/up/service/P", payload: Array("{}".utf8)))
        try w.close()
        _ = try Projector(paths: [dir], databasePath: dir + "/p.sqlite").run()
        let s = try SQLiteStore(readingFrom: dir + "/p.sqlite")
        func recent(_ f: ReportFilters) throws -> [[String: Any]] {
            var f = f
            f.limit = 10_000
            let report = try JSONSerialization.jsonObject(with: Data(Reports.run(.anomalies, store: s, filters: f).json.rendered().utf8)) as! [String: Any]
            return report["recent"] as! [[String: Any]]
        }
        let all = try recent(ReportFilters())
        let devices = Set(all.compactMap { (try? ResourceTopic(parsing: $0["topic"] as! String))?.device })
        #expect(devices.count >= 2 && all.contains { (try? ResourceTopic(parsing: $0["topic"] as! String)) == nil })
        for device in devices {
            var f = ReportFilters()
            f.devices = [device]
            let expected = all.filter { (try? ResourceTopic(parsing: $0["topic"] as! String))?.device == device }
            #expect(try recent(f).map { $0["position"] as! String } == expected.map { $0["position"] as! String }, "\(device)")
        }
    }

    @Test func stalledDependsOnAsOfAndThreshold() throws {
        let (s, dir) = try store()
        defer { cleanup(dir) }
        func stalled(_ f: ReportFilters) throws -> Int {
            (try JSONSerialization.jsonObject(with: Data(Reports.run(.stalled, store: s, filters: f).json.rendered().utf8)) as! [Any]).count
        }
        var f = ReportFilters()
        #expect(try stalled(f) == 1)  // as of the last message (400 s), cam-05 idle 394 s
        f.stallAfter = .seconds(500)
        #expect(try stalled(f) == 0)
        f = ReportFilters()
        f.asOf = 1_795_717_359_000_000_000 + 60_000_000_000
        #expect(try stalled(f) == 0)  // at 60 s it was idle only 54 s
        f.stallAfter = .seconds(30)
        #expect(try stalled(f) == 1)
    }

    @Test func hostileFilterValuesArePlainText() throws {
        let (s, dir) = try store()
        defer { cleanup(dir) }
        for evil in ["'", "%", "cam-01'; DROP TABLE tasks; --", "' OR 1=1 --", "%' OR '1'='1", "SELECT * FROM tasks"] {
            var f = ReportFilters()
            f.devices = [evil]
            f.products = [evil]
            #expect(try tasks(s, f).isEmpty)
            for kind in Reports.Kind.allCases {
                _ = try Reports.run(kind, store: s, filters: f, device: (evil, evil))
            }
        }
        #expect(try tasks(s, ReportFilters()).count == 6)
    }

    @Test func emptyReportsAreValid() throws {
        let (s, dir) = try store()
        defer { cleanup(dir) }
        var f = ReportFilters()
        f.devices = ["nobody"]
        for kind in Reports.Kind.allCases {
            let r = try Reports.run(kind, store: s, filters: f, device: ("P", "nobody"))
            for format in Report.Format.allCases { #expect(!r.rendered(as: format).isEmpty) }
        }
    }
}
