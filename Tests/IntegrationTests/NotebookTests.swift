import Foundation
import Testing

/// Both notebooks run headless against fixtures; every figure is there, and the numbers they
/// print equal `report summary`'s.
@Suite struct NotebookTests {
    static var python: String {
        if let p = ProcessInfo.processInfo.environment["RESTRACE_PYTHON"] { return p }
        return CommandLineTests.fixtures.deletingLastPathComponent().appendingPathComponent("notebooks/.venv/bin/python").path
    }

    @Test func notebooksExecuteAndAgreeWithTheReport() throws {
        let dir = temporaryDirectory("notebooks")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let root = CommandLineTests.fixtures.deletingLastPathComponent()
        let db = dir + "/p.sqlite"
        let project = Process()
        project.executableURL = URL(fileURLWithPath: restraceExecutable)
        project.arguments = ["project", root.appendingPathComponent("fixtures/failure-storm/capture").path, "--db", db, "--quiet"]
        try project.run()
        project.waitUntilExit()
        #expect(project.terminationStatus == 0)

        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.python)
        p.arguments = [root.appendingPathComponent("notebooks/run.py").path, dir + "/out"]
        var env = ProcessInfo.processInfo.environment
        env["RESTRACE_DB"] = db
        env["RESTRACE_CAPTURE"] = root.appendingPathComponent("fixtures/blind-window/capture").path
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let text = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(errors.suffix(2000))")
        guard let summary = try? JSONSerialization.jsonObject(with: text) as? [String: [String: Any]] else {
            Issue.record("no summary from run.py: \(String(decoding: text, as: UTF8.self)) \(errors.suffix(2000))")
            return
        }
        #expect(summary["transfer-health"]?["pngs"] as? Int == 5)
        #expect(summary["capture-explorer"]?["pngs"] as? Int == 2)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/out").filter { $0.hasSuffix(".png") }
        #expect(files.count == 7)

        let report = Process()
        report.executableURL = URL(fileURLWithPath: restraceExecutable)
        report.arguments = ["report", "summary", "--db", db, "--format", "json"]
        let rout = Pipe()
        report.standardOutput = rout
        try report.run()
        let rtext = rout.fileHandleForReading.readDataToEndOfFile()
        report.waitUntilExit()
        let tasks = (try JSONSerialization.jsonObject(with: rtext) as! [String: Any])["tasks"] as! [String: [String: Int]]
        let counts = summary["transfer-health"]?["task_counts"] as? [String: [String: Int]]
        for kind in ["upload", "download"] {
            for state in ["done", "failed"] {
                #expect(counts?[kind]?[state] == tasks[kind]?[state], "\(kind) \(state)")
            }
        }
    }
}
