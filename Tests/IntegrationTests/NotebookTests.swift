import Foundation
import Testing
import TestSupport

/// Both notebooks run headless against fixtures; every figure is there, and the numbers they
/// print equal `report summary`'s.
@Suite struct NotebookTests {
    @Test func notebooksExecuteAndAgreeWithTheReport() throws {
        let dir = temporaryDirectory("notebooks")
        defer { cleanup(dir) }
        let root = repositoryRoot
        let db = dir + "/p.sqlite"
        let project = try runProcess(restraceExecutable, ["project", root.appendingPathComponent("fixtures/failure-storm/capture").path,
                                                          "--db", db, "--quiet"])
        #expect(project.status == 0, "\(project.err)")

        let run = try runProcess(venvPython, [root.appendingPathComponent("notebooks/run.py").path, dir + "/out"],
                                 environment: ["RESTRACE_DB": db,
                                               "RESTRACE_CAPTURE": root.appendingPathComponent("fixtures/blind-window/capture").path])
        #expect(run.status == 0, "\(run.err.suffix(2000))")
        guard let summary = try? JSONSerialization.jsonObject(with: run.out) as? [String: [String: Any]] else {
            Issue.record("no summary from run.py: \(run.text) \(run.err.suffix(2000))")
            return
        }
        #expect(summary["transfer-health"]?["pngs"] as? Int == 5)
        #expect(summary["capture-explorer"]?["pngs"] as? Int == 2)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/out").filter { $0.hasSuffix(".png") }
        #expect(files.count == 7)
        // Result codes are integers in the failure causes (pandas made nullable ones floats: -2.0).
        let executed = try String(contentsOfFile: dir + "/out/transfer-health.ipynb", encoding: .utf8)
        #expect(executed.range(of: #"Reading: the top cause, (upload|download) (device|platform) -?[0-9]+ [a-z_ ]+, accounts for 9 of 72"#,
                               options: .regularExpression) != nil, "\(executed.suffix(3000))")
        #expect(executed.range(of: #"(upload|download) (device|platform) -?[0-9]+\.0 "#, options: .regularExpression) == nil)

        let report = try runProcess(restraceExecutable, ["report", "summary", "--db", db, "--format", "json"])
        let tasks = (try JSONSerialization.jsonObject(with: report.out) as! [String: Any])["tasks"] as! [String: [String: Int]]
        let counts = summary["transfer-health"]?["task_counts"] as? [String: [String: Int]]
        for kind in ["upload", "download"] {
            for state in ["done", "failed"] {
                #expect(counts?[kind]?[state] == tasks[kind]?[state], "\(kind) \(state)")
            }
        }
    }
}
