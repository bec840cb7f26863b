import Foundation
import Testing
import TestSupport

/// The documentation keeps up with the program: every command and option that `--help` lists is
/// in docs/commands.md, and every link between the documents leads somewhere.
@Suite struct DocumentationTests {
    static let root = repositoryRoot.path

    /// The subcommand names a `--help` text lists.
    func subcommands(of args: [String]) throws -> [String] {
        let help = try runProcess(restraceExecutable, args + ["--help"]).text
        guard let start = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        return help[start.upperBound...].split(separator: "\n").compactMap { line in
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first else { return nil }
            return String(name)
        }.filter { $0 != "See" && $0 != "help" }
    }

    @Test func everyCommandAndOptionInHelpIsInTheCommandReference() throws {
        let reference = try String(contentsOfFile: Self.root + "/docs/commands.md", encoding: .utf8)
        var commands = try subcommands(of: []).map { [$0] }
        #expect(commands.count >= 10)
        for report in try subcommands(of: ["report"]) { commands.append(["report", report]) }
        #expect(commands.contains(["report", "summary"]))
        var missing: [String] = []
        for command in commands {
            if !reference.contains("## \(command.joined(separator: " "))") { missing.append(command.joined(separator: " ")) }
            let help = try runProcess(restraceExecutable, command + ["--help"]).text
            let options = Set(help.matches(of: /(?m)^ {2}(?:-\w, )?(--[a-z0-9-]+)/).map { String($0.1) })
            for option in options.subtracting(["--help", "--version"]) where !reference.contains("`\(option)") {
                missing.append("\(command.joined(separator: " ")) \(option)")
            }
        }
        #expect(missing.isEmpty, "not in docs/commands.md: \(missing)")
    }

    @Test func everyRelativeLinkInTheDocumentsLeadsToAFileAndHeading() throws {
        let docs = try FileManager.default.contentsOfDirectory(atPath: Self.root + "/docs").filter { $0.hasSuffix(".md") }.map { "docs/" + $0 }
        #expect(docs.count >= 6)
        var broken: [String] = []
        for document in ["README.md", "CHANGELOG.md", "fixtures/README.md"] + docs {
            let text = try String(contentsOfFile: Self.root + "/" + document, encoding: .utf8)
            let base = (document as NSString).deletingLastPathComponent
            for match in text.matches(of: /\]\(([^)\s]+)\)/) {
                let target = String(match.1)
                if target.contains("://") || target.hasPrefix("mailto:") { continue }
                let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let file = parts[0].isEmpty ? document : (base.isEmpty ? parts[0] : base + "/" + parts[0])
                let path = URL(fileURLWithPath: Self.root + "/" + file).standardizedFileURL.path
                guard FileManager.default.fileExists(atPath: path) else { broken.append("\(document): \(target)"); continue }
                if parts.count == 2, file.hasSuffix(".md") {
                    let headings = try Self.anchors(of: String(contentsOfFile: path, encoding: .utf8))
                    if !headings.contains(parts[1]) { broken.append("\(document): \(target) (no such heading)") }
                }
            }
        }
        #expect(broken.isEmpty, "\(broken)")
    }

    /// GitHub's anchors of a Markdown document's headings: lower case, spaces to dashes, most
    /// punctuation dropped.
    static func anchors(of text: String) -> Set<String> {
        Set(text.split(separator: "\n").filter { $0.hasPrefix("#") }.map { line in
            let title = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces).lowercased()
            return String(title.unicodeScalars.compactMap { c -> Character? in
                if c == " " { return "-" }
                if CharacterSet.alphanumerics.contains(c) || c == "-" || c == "_" { return Character(c) }
                return nil
            })
        })
    }
}
