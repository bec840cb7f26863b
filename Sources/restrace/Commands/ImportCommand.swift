import ArgumentParser
import Capture
import Foundation

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Make a capture from JSON Lines or mosquitto_sub recordings.",
        discussion: """
        Examples:
          restrace import --format jsonl window.jsonl --out capture/
          mosquitto_sub -v -F '%U %t %p' -t '$resource/#' > sub.txt
          restrace import --format mosquitto-sub sub.txt --out capture/
          restrace cat old/ | restrace import --format jsonl - --out new/

        Lines that cannot be read are listed on stderr with file and line number; the rest is imported, \
        and the command then exits 3.
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case jsonl, mosquittoSub = "mosquitto-sub" }

    @Option(help: "jsonl or mosquitto-sub.") var format: Format
    @Argument(help: "Files to import (- for standard input).") var files: [String]
    @Option(help: "The capture directory to write (created if missing).") var out: String

    func run() throws {
        let writer = try CaptureWriter(directory: out)
        var bad = 0
        var lastShown = Date()
        for file in files {
            let lines = try LineReader(path: file)
            while let line = try lines.next() {
                // A progress line on a terminal, for recordings of millions of lines.
                if stderrIsTerminal, lines.lineNumber % 4096 == 0, Date().timeIntervalSince(lastShown) > 0.2 {
                    lastShown = Date()
                    printError("\u{1B}[2K\rimporting \(file): line \(lines.lineNumber), \(writer.messagesWritten) messages", newline: false)
                }
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                do {
                    let m = switch format {
                    case .jsonl: try JSONLines.parse(line)
                    case .mosquittoSub: try MosquittoSubLines.parse(line)
                    }
                    try writer.write(m)
                } catch let e as ImportError {
                    bad += 1
                    if bad <= 20 { printError("restrace: \(file):\(lines.lineNumber): \(e)") }
                }
            }
        }
        try writer.close()
        if stderrIsTerminal { printError("\u{1B}[2K\r", newline: false) }
        printError("imported \(writer.messagesWritten) messages into \(out)" + (bad > 0 ? "; \(bad) lines skipped" : ""))
        if bad > 0 { throw ExitCode(3) }
    }
}
